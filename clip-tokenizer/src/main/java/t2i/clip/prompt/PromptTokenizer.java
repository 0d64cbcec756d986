package t2i.clip.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import t2i.clip.ClipTokenizer;

/**
 * Turns a prompt into text-encoder windows the way AUTOMATIC1111's users expect: attention syntax
 * applied ({@link AttentionSyntax}), each weighted run tokenized on its own, tokens packed into
 * windows of {@code window - 2} (75 for CLIP) framed with BOS/EOS and padded. A window that would
 * split within the last {@value #COMMA_BACKTRACK} tokens after a comma is split after the comma
 * instead, and {@code BREAK} starts a new window. Prompts beyond {@code maxChunks} windows are cut
 * off, and the cut-off tokens are reported. Immutable and thread-safe.
 */
public final class PromptTokenizer {

  /** How far back a window break may move to land just after a comma. */
  static final int COMMA_BACKTRACK = 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ClipTokenizer tokenizer;
  private final Framing framing;
  private final int comma;

  public PromptTokenizer(ClipTokenizer tokenizer, Framing framing) {
    this.tokenizer = tokenizer;
    this.framing = framing;
    OptionalInt commaId = tokenizer.idOf(",</w>");
    this.comma = commaId.isPresent() ? commaId.getAsInt() : -1;
  }

  /**
   * Loads a model's tokenizer ({@code vocab.json} + {@code merges.txt}, or OpenAI's {@code
   * bpe_simple_vocab_16e6.txt.gz}) and its framing: the window is {@code model_max_length} and the
   * pad token {@code pad_token} of {@code tokenizer_config.json}; without them, 77 and {@code
   * <|endoftext|>} (Stable Diffusion 1.x; 2.x pads with id 0, {@code "!"}).
   */
  public static PromptTokenizer load(Path tokenizerDir) throws IOException {
    ClipTokenizer tokenizer = ClipTokenizer.load(tokenizerDir);
    Path config = tokenizerDir.resolve("tokenizer_config.json");
    int window = Framing.CLIP_WINDOW;
    int pad = tokenizer.endOfTextId();
    if (Files.isRegularFile(config)) {
      JsonNode json = JSON.readTree(config.toFile());
      long maxLength = json.path("model_max_length").asLong(Framing.CLIP_WINDOW);
      // Some exports write a huge sentinel for "no limit"; CLIP's position table is 77 long.
      window = maxLength >= 3 && maxLength <= 4096 ? (int) maxLength : Framing.CLIP_WINDOW;
      Optional<String> padToken = tokenText(json.path("pad_token"));
      if (padToken.isPresent()) {
        OptionalInt padId = tokenizer.idOf(padToken.get());
        if (padId.isEmpty()) {
          throw new IOException(
              config + ": pad_token '" + padToken.get() + "' is not in the model's vocabulary");
        }
        pad = padId.getAsInt();
      }
    }
    return new PromptTokenizer(
        tokenizer, new Framing(window, tokenizer.startOfTextId(), tokenizer.endOfTextId(), pad));
  }

  /** pad_token is a plain string or an AddedToken object with a "content" field. */
  private static Optional<String> tokenText(JsonNode node) {
    if (node.isTextual()) {
      return Optional.of(node.asText());
    }
    if (node.isObject() && node.path("content").isTextual()) {
      return Optional.of(node.path("content").asText());
    }
    return Optional.empty();
  }

  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  public Framing framing() {
    return framing;
  }

  /** The window of an empty prompt, used to pad the shorter of prompt and negative prompt. */
  public PromptChunk emptyChunk() {
    return new Packer(Integer.MAX_VALUE).finish().chunks().getFirst();
  }

  /**
   * Tokenizes a prompt into at most {@code maxChunks} windows.
   *
   * @param maxChunks at least 1; tokens that do not fit are cut off
   */
  public TokenizedPrompt tokenize(String prompt, int maxChunks) {
    if (maxChunks < 1) {
      throw new IllegalArgumentException("maxChunks must be >= 1, was " + maxChunks);
    }
    Packer packer = new Packer(maxChunks);
    for (WeightedText run : AttentionSyntax.parse(prompt)) {
      if (run.isBreak()) {
        packer.forceBreak();
        continue;
      }
      for (int id : tokenizer.encode(run.text())) {
        packer.add(id, run.weight());
      }
    }
    return packer.finish();
  }

  /** Pads the shorter list with empty windows so both have the same number of windows. */
  public List<PromptChunk> padTo(List<PromptChunk> chunks, int count) {
    List<PromptChunk> padded = new ArrayList<>(chunks);
    PromptChunk empty = emptyChunk();
    while (padded.size() < count) {
      padded.add(empty);
    }
    return padded;
  }

  /** Packs tokens into windows; one per tokenize call. */
  private final class Packer {
    private final int maxChunks;
    private final List<PromptChunk> chunks = new ArrayList<>();
    private final List<PlacedToken> placed = new ArrayList<>();
    private final List<Integer> ids = new ArrayList<>();
    private final List<Float> weights = new ArrayList<>();
    private final List<Integer> placedIndex = new ArrayList<>();
    private int lastComma = -1;

    Packer(int maxChunks) {
      this.maxChunks = maxChunks;
    }

    void add(int id, float weight) {
      int capacity = framing.capacity();
      if (ids.size() == capacity) {
        if (comma >= 0 && lastComma >= 0 && ids.size() - lastComma <= COMMA_BACKTRACK) {
          // Move the tokens after the last comma into the next window.
          int from = lastComma + 1;
          List<Integer> movedIds = new ArrayList<>(ids.subList(from, ids.size()));
          List<Float> movedWeights = new ArrayList<>(weights.subList(from, weights.size()));
          List<Integer> movedPlaced =
              new ArrayList<>(placedIndex.subList(from, placedIndex.size()));
          truncate(from);
          closeWindow();
          for (int i = 0; i < movedIds.size(); i++) {
            append(movedIds.get(i), movedWeights.get(i), movedPlaced.get(i));
          }
        } else {
          closeWindow();
        }
      }
      placed.add(null);
      append(id, weight, placed.size() - 1);
      if (id == comma) {
        lastComma = ids.size() - 1;
      }
    }

    private void append(int id, float weight, int tokenIndex) {
      ids.add(id);
      weights.add(weight);
      placedIndex.add(tokenIndex);
    }

    private void truncate(int size) {
      ids.subList(size, ids.size()).clear();
      weights.subList(size, weights.size()).clear();
      placedIndex.subList(size, placedIndex.size()).clear();
    }

    void forceBreak() {
      closeWindow();
    }

    /** Frames the open window (even an empty one) and starts the next. */
    private void closeWindow() {
      int chunkIndex = chunks.size();
      boolean kept = chunkIndex < maxChunks;
      int window = framing.window();
      int[] framedIds = new int[window];
      float[] framedWeights = new float[window];
      Arrays.fill(framedWeights, 1f);
      framedIds[0] = framing.bos();
      for (int i = 0; i < ids.size(); i++) {
        framedIds[i + 1] = ids.get(i);
        framedWeights[i + 1] = weights.get(i);
        int tokenIndex = placedIndex.get(i);
        placed.set(
            tokenIndex,
            kept
                ? new PlacedToken(ids.get(i), weights.get(i), chunkIndex, i + 1)
                : new PlacedToken(ids.get(i), weights.get(i), -1, -1));
      }
      framedIds[ids.size() + 1] = framing.eos();
      for (int i = ids.size() + 2; i < window; i++) {
        framedIds[i] = framing.pad();
      }
      if (kept) {
        chunks.add(new PromptChunk(framedIds, framedWeights));
      } else {
        chunks.add(null);
      }
      ids.clear();
      weights.clear();
      placedIndex.clear();
      lastComma = -1;
    }

    TokenizedPrompt finish() {
      if (!ids.isEmpty() || chunks.isEmpty()) {
        closeWindow();
      }
      List<PromptChunk> kept = chunks.stream().filter(c -> c != null).toList();
      return new TokenizedPrompt(kept, placed);
    }
  }
}
