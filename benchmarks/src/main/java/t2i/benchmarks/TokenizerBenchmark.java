package t2i.benchmarks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import t2i.clip.ClipTokenizer;

/**
 * Single-thread throughput of {@link ClipTokenizer#encode} against Hugging Face {@code tokenizers}
 * with CLIP's fast-tokenizer definition built from the same vocabulary. Each operation encodes one
 * text to raw ids; prompt inputs are taken in turn from their corpus, so a score is operations per
 * second averaged over the corpus.
 *
 * <ul>
 *   <li>{@code prompts}: the committed prompts ({@code prompts.txt}), 10 to 80 tokens each. A
 *       service sees the same words again and again, and both tokenizers' word caches hold them.
 *   <li>{@code distinctPrompts}: 4,096 generated prompts whose words outnumber both word caches.
 *   <li>{@code longText}: one text of a few thousand tokens, the public reference vectors and the
 *       committed prompts a line each.
 * </ul>
 *
 * <p>Setup checks that both tokenizers give the same ids for every input, so each measures the same
 * work; it fails otherwise. The vocabulary is found as {@link SharedFiles} says.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(
    value = 3,
    jvmArgsAppend = {
      "-Xms1g",
      "-Xmx1g",
      "-Dai.djl.offline=true",
      "-DOPT_OUT_TRACKING=true",
      "--enable-native-access=ALL-UNNAMED"
    })
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class TokenizerBenchmark {

  // JMH sets every @Param before @Setup runs.
  @SuppressWarnings("NullAway.Init")
  @Param({"prompts", "distinctPrompts", "longText"})
  public String input;

  // The fields below are set by setUp(), which JMH runs before any benchmark method; checking them
  // in the measured methods would add work to what is measured.
  @SuppressWarnings("NullAway.Init")
  private ClipTokenizer clip;

  @SuppressWarnings("NullAway.Init")
  private HuggingFaceClipTokenizer huggingFace;

  @SuppressWarnings("NullAway.Init")
  private String[] texts;

  private int next;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    ClipVocabulary vocabulary = ClipVocabulary.readOpenAi(SharedFiles.vocabulary());
    clip = ClipTokenizer.load(SharedFiles.vocabulary());
    huggingFace = HuggingFaceClipTokenizer.of(vocabulary);
    List<String> inputs =
        switch (input) {
          case "prompts" -> BenchmarkInputs.prompts();
          case "distinctPrompts" ->
              BenchmarkInputs.distinctPrompts(vocabulary, text -> clip.encode(text).length);
          case "longText" -> List.of(longText());
          default -> throw new IllegalArgumentException("unknown input: " + input);
        };
    for (String text : inputs) {
      if (!agree(text)) {
        throw new IllegalStateException("the tokenizers disagree on the input: " + text);
      }
    }
    texts = inputs.toArray(String[]::new);
  }

  private String longText() throws IOException {
    List<ReferenceVector> lines = new ArrayList<>();
    for (ReferenceVector vector : ReferenceVector.read(SharedFiles.publicVectors())) {
      if (agree(vector.text())) {
        lines.add(vector);
      }
    }
    return BenchmarkInputs.longText(lines, BenchmarkInputs.prompts());
  }

  private boolean agree(String text) {
    long[] expected = Arrays.stream(clip.encode(text)).asLongStream().toArray();
    return Arrays.equals(expected, huggingFace.encode(text))
        && Arrays.equals(expected, huggingFace.encodeIdsOnly(text));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    huggingFace.close();
  }

  private String nextText() {
    String text = texts[next];
    next = next + 1 == texts.length ? 0 : next + 1;
    return text;
  }

  /** This project's tokenizer. */
  @Benchmark
  public int[] clipTokenizer() {
    return clip.encode(nextText());
  }

  /** Hugging Face through DJL's {@code HuggingFaceTokenizer.encode}: the baseline. */
  @Benchmark
  public long[] huggingFace() {
    return huggingFace.encode(nextText());
  }

  /**
   * Hugging Face with the least JNI work DJL allows (encode, read the ids, free): how much of the
   * baseline is the Rust tokenizer itself rather than DJL's Java side.
   */
  @Benchmark
  public long[] huggingFaceIdsOnly() {
    return huggingFace.encodeIdsOnly(nextText());
  }
}
