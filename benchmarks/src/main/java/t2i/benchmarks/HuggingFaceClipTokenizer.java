package t2i.benchmarks;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Hugging Face {@code tokenizers} (Rust, through DJL's JNI binding) with CLIP's fast-tokenizer
 * definition from {@link ClipTokenizerJson}: raw ids, no special tokens added, no truncation, no
 * padding. Owns the native tokenizer; {@link #close} frees it. Encoding is thread-safe, as the
 * native tokenizer's is.
 */
final class HuggingFaceClipTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;

  private HuggingFaceClipTokenizer(HuggingFaceTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /**
   * Builds the tokenizer from the vocabulary. The native library comes out of the DJL jar: offline
   * mode stops DJL from downloading another build or calling home, whatever the caller configured.
   */
  static HuggingFaceClipTokenizer of(ClipVocabulary vocabulary) throws IOException {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    byte[] json = ClipTokenizerJson.of(vocabulary).getBytes(StandardCharsets.UTF_8);
    Map<String, String> options =
        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
    return new HuggingFaceClipTokenizer(
        HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options));
  }

  /** The ids through DJL's public API, which also fetches tokens, offsets and masks. */
  long[] encode(String text) {
    return tokenizer.encode(text, false, false).getIds();
  }

  /** The ids alone: the native encode, one read of the ids, the release of the native encoding. */
  long[] encodeIdsOnly(String text) {
    long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, false);
    try {
      return TokenizersLibrary.LIB.getTokenIds(encoding);
    } finally {
      TokenizersLibrary.LIB.deleteEncoding(encoding);
    }
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
