package t2i.gateway;

import com.google.protobuf.ByteString;
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
      response.addTokens(
          TokenInfo.newBuilder()
              .setId(placed.id())
              .setText(token.displayText())
              .setBytes(ByteString.copyFrom(token.bytes()))
              .setByteFragment(token.isByteFragment())
              .setEndOfWord(token.endOfWord())
              .setWeight(placed.weight())
              .setChunk(placed.chunk())
              .setPosition(placed.position())
              .setCutOff(placed.isCutOff()));
    }
    return response.build();
  }
}
