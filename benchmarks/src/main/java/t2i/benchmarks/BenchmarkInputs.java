package t2i.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;

/**
 * The texts the tokenizer benchmarks encode. All are deterministic, so every run and every fork
 * measures the same work.
 */
final class BenchmarkInputs {

  /** Prompt-sized means this many CLIP tokens, bounds included. */
  static final int MIN_PROMPT_TOKENS = 10;

  static final int MAX_PROMPT_TOKENS = 80;

  /**
   * Distinct generated prompts. Their random words (about nine a prompt drawn from some 28,700,
   * over 20,000 distinct words in all) outnumber the word caches of both tokenizers (ClipTokenizer:
   * 16,384 direct-mapped slots; Hugging Face BPE: the first 10,000 words), so most words are
   * encoded afresh, as for a stream of prompts from many users.
   */
  static final int DISTINCT_PROMPT_COUNT = 4096;

  static final long DISTINCT_PROMPT_SEED = 20240517L;

  private static final Pattern PLAIN_WORD = Pattern.compile("[a-z]{4,}</w>");

  private static final List<String> STYLE_FRAGMENTS =
      List.of(
          "highly detailed",
          "8k",
          "sharp focus",
          "soft lighting",
          "trending on artstation",
          "(masterpiece:1.2)",
          "best quality",
          "cinematic",
          "35mm photograph",
          "concept art",
          "volumetric light",
          "oil on canvas",
          "studio lighting",
          "bokeh",
          "octane render",
          "[blurry]",
          "golden hour",
          "digital painting");

  private BenchmarkInputs() {}

  /** The committed prompts, {@code prompts.txt}: realistic prompts and negative prompts. */
  static List<String> prompts() {
    try (InputStream in = BenchmarkInputs.class.getResourceAsStream("prompts.txt")) {
      if (in == null) {
        throw new IllegalStateException("resource t2i/benchmarks/prompts.txt is missing");
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      return reader.lines().filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@value #DISTINCT_PROMPT_COUNT} distinct prompts of prompt size, in the shape of real ones
   * (comma-separated phrases, then style fragments) but with words drawn at random from the
   * vocabulary's plain lower-case words.
   *
   * @param tokenCount counts the CLIP tokens of a text, to keep prompts within the size bounds
   */
  static List<String> distinctPrompts(ClipVocabulary vocabulary, ToIntFunction<String> tokenCount) {
    List<String> words =
        vocabulary.tokens().stream()
            .filter(token -> PLAIN_WORD.matcher(token).matches())
            .map(token -> token.substring(0, token.length() - ClipVocabulary.END_OF_WORD.length()))
            .toList();
    Random random = new Random(DISTINCT_PROMPT_SEED);
    List<String> prompts = new ArrayList<>(DISTINCT_PROMPT_COUNT);
    while (prompts.size() < DISTINCT_PROMPT_COUNT) {
      String prompt = randomPrompt(words, random);
      int tokens = tokenCount.applyAsInt(prompt);
      if (tokens >= MIN_PROMPT_TOKENS && tokens <= MAX_PROMPT_TOKENS) {
        prompts.add(prompt);
      }
    }
    return List.copyOf(prompts);
  }

  private static String randomPrompt(List<String> words, Random random) {
    List<String> parts = new ArrayList<>();
    int phrases = 2 + random.nextInt(4);
    for (int p = 0; p < phrases; p++) {
      StringBuilder phrase = new StringBuilder(p == 0 ? "a " : "");
      int length = 1 + random.nextInt(4);
      for (int w = 0; w < length; w++) {
        phrase.append(w == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
      }
      parts.add(phrase.toString());
    }
    int fragments = 1 + random.nextInt(4);
    for (int f = 0; f < fragments; f++) {
      parts.add(STYLE_FRAGMENTS.get(random.nextInt(STYLE_FRAGMENTS.size())));
    }
    return String.join(", ", parts);
  }

  /**
   * One long text: the vectors' texts, then the prompts, a line each. From the public vectors and
   * the committed prompts, a few thousand tokens of English with some other scripts, digits and
   * emoji.
   */
  static String longText(List<ReferenceVector> vectors, List<String> prompts) {
    List<String> lines = new ArrayList<>(vectors.size() + prompts.size());
    vectors.forEach(vector -> lines.add(vector.text()));
    lines.addAll(prompts);
    return String.join("\n", lines);
  }
}
