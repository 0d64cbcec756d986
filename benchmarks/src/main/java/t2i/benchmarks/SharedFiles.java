package t2i.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared files the benchmarks read but the repository never copies: OpenAI's CLIP
 * vocabulary and the public reference vectors, in {@code ../shared} beside the repository root.
 *
 * <p>System properties override the defaults: {@value #VOCABULARY_PROPERTY} (the {@code .gz} file
 * or its directory), {@value #SHARED_PROPERTY} (the shared directory). The repository root is the
 * {@code repo.root} property the build sets for tests, else the working directory.
 */
final class SharedFiles {

  static final String VOCABULARY_PROPERTY = "t2i.clip.vocabulary";
  static final String SHARED_PROPERTY = "t2i.shared";

  private static final String VOCABULARY_FILE = "bpe_simple_vocab_16e6.txt.gz";

  private SharedFiles() {}

  static Path sharedDirectory() {
    String configured = System.getProperty(SHARED_PROPERTY);
    if (configured != null) {
      return Path.of(configured);
    }
    String root = System.getProperty("repo.root", System.getProperty("user.dir"));
    return Path.of(root).toAbsolutePath().normalize().resolveSibling("shared");
  }

  /** OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}. */
  static Path vocabulary() {
    String configured = System.getProperty(VOCABULARY_PROPERTY);
    Path path =
        configured != null
            ? Path.of(configured)
            : sharedDirectory().resolve("models/clip-vit-l-14-tokenizer");
    if (Files.isDirectory(path)) {
      path = path.resolve(VOCABULARY_FILE);
    }
    return requireFile(path, "OpenAI's CLIP vocabulary; set -D" + VOCABULARY_PROPERTY);
  }

  /** The public reference vectors: one {@code {"text": ..., "ids": [...]}} object per line. */
  static Path publicVectors() {
    return requireFile(
        sharedDirectory().resolve("tokenizer/clip-reference-public.jsonl"),
        "the public CLIP reference vectors; set -D" + SHARED_PROPERTY);
  }

  private static Path requireFile(Path path, String what) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("No file at " + path.toAbsolutePath() + ": expected " + what);
    }
    return path;
  }
}
