package t2i.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import t2i.clip.ClipTokenizer;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.v1.PromptTokens;
import t2i.pipeline.v1.TokenChunk;

/**
 * A model's tokenizer and the way its text encoder wants token ids framed: {@code BOS + ids + EOS}
 * padded to the model's window with the model's pad token. Immutable and thread-safe.
 */
public final class ModelTokenizer {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DEFAULT_WINDOW = 77;

  private final ClipTokenizer tokenizer;
  private final int window;
  private final int bos;
  private final int eos;
  private final int pad;

  ModelTokenizer(ClipTokenizer tokenizer, int window, int pad) {
    if (window < 3) {
      throw new IllegalArgumentException("token window must be >= 3, was " + window);
    }
    this.tokenizer = tokenizer;
    this.window = window;
    this.bos = tokenizer.startOfTextId();
    this.eos = tokenizer.endOfTextId();
    this.pad = pad;
  }

  /**
   * Loads the tokenizer of a model. The window is {@code model_max_length} and the pad token {@code
   * pad_token} of {@code tokenizer/tokenizer_config.json}; without them, 77 and {@code
   * <|endoftext|>} (Stable Diffusion 1.x).
   */
  public static ModelTokenizer load(ModelDirectory model) throws IOException {
    ClipTokenizer tokenizer = ClipTokenizer.load(model.tokenizerDir());
    Path config = model.tokenizerDir().resolve("tokenizer_config.json");
    int window = DEFAULT_WINDOW;
    int pad = tokenizer.endOfTextId();
    if (Files.isRegularFile(config)) {
      JsonNode json = JSON.readTree(config.toFile());
      long maxLength = json.path("model_max_length").asLong(DEFAULT_WINDOW);
      // Some exports write a huge sentinel for "no limit"; CLIP's position table is 77 long.
      window = maxLength > 0 && maxLength <= 4096 ? (int) maxLength : DEFAULT_WINDOW;
      String padToken = padTokenText(json.path("pad_token"));
      if (padToken != null) {
        pad =
            tokenizer
                .idOf(padToken)
                .orElseThrow(
                    () ->
                        new IOException(
                            config
                                + ": pad_token '"
                                + padToken
                                + "' is not in the model's vocabulary"));
      }
    }
    return new ModelTokenizer(tokenizer, window, pad);
  }

  /** pad_token is a plain string or an AddedToken object with a "content" field. */
  private static String padTokenText(JsonNode node) {
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isObject() && node.path("content").isTextual()) {
      return node.path("content").asText();
    }
    return null;
  }

  public int window() {
    return window;
  }

  public int padId() {
    return pad;
  }

  /** The raw BPE ids of a text. */
  public int[] encode(String text) {
    return tokenizer.encode(text);
  }

  /**
   * Frames a prompt for the text encoder as one window; tokens beyond {@code window - 2} are cut
   * off, as CLIP's own tokenizer does.
   */
  public PromptTokens frame(String text) {
    int[] ids = tokenizer.encode(text);
    int room = window - 2;
    int[] framed = new int[window];
    framed[0] = bos;
    int n = Math.min(ids.length, room);
    System.arraycopy(ids, 0, framed, 1, n);
    framed[n + 1] = eos;
    for (int i = n + 2; i < window; i++) {
      framed[i] = pad;
    }
    TokenChunk.Builder chunk = TokenChunk.newBuilder();
    for (int id : framed) {
      chunk.addIds(id);
    }
    return PromptTokens.newBuilder().addChunks(chunk).build();
  }
}
