package t2i.gateway;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import t2i.clip.Token;
import t2i.clip.prompt.PlacedToken;
import t2i.clip.prompt.PromptTokenizer;
import t2i.clip.prompt.TokenizedPrompt;
import t2i.v1.TokenInfo;
import t2i.v1.TokenizeResponse;

/** Explains how a prompt is tokenized, token by token. Stateless and thread-safe. */
final class TokenInspector {

  private TokenInspector() {}

  static TokenizeResponse inspect(
      String model, PromptTokenizer tokenizer, String prompt, int maxChunks) {
    TokenizedPrompt tokenized = tokenizer.tokenize(prompt, maxChunks);
    TokenizeResponse.Builder response =
        TokenizeResponse.newBuilder()
            .setModel(model)
            .setChunkCount(tokenized.chunks().size())
            .setCutOffCount(tokenized.cutOffCount())
            .setWindow(tokenizer.framing().window())
            .setMaxChunks(maxChunks);
    for (PlacedToken placed : tokenized.tokens()) {
      Token token = tokenizer.tokenizer().token(placed.id());
      byte[] bytes = token.bytes();
      boolean fragment = !isValidUtf8(bytes);
      response.addTokens(
          TokenInfo.newBuilder()
              .setId(placed.id())
              .setText(fragment ? escaped(bytes) : new String(bytes, StandardCharsets.UTF_8))
              .setBytes(ByteString.copyFrom(bytes))
              .setByteFragment(fragment)
              .setEndOfWord(token.endOfWord())
              .setWeight(placed.weight())
              .setChunk(placed.chunk())
              .setPosition(placed.position())
              .setCutOff(placed.isCutOff()));
    }
    return response.build();
  }

  static boolean isValidUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /** Bytes as {@code \xNN} escapes, the way Python shows bytes that are not text. */
  static String escaped(byte[] bytes) {
    StringBuilder text = new StringBuilder(bytes.length * 4);
    for (byte b : bytes) {
      text.append(String.format("\\x%02x", b & 0xff));
    }
    return text.toString();
  }
}
