package t2i.clip;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.jspecify.annotations.Nullable;

/**
 * A CLIP BPE vocabulary: token strings by id, merge ranks, and the ids of the special tokens.
 * Immutable and thread-safe.
 */
final class Vocabulary {

  static final String START_OF_TEXT = "<|startoftext|>";
  static final String END_OF_TEXT = "<|endoftext|>";
  static final String END_OF_WORD = "</w>";

  /** The slice of merge lines OpenAI's {@code simple_tokenizer} reads: {@code [1 : 48895]}. */
  private static final int OPENAI_MERGE_LINES = 49152 - 256 - 2;

  private final String[] tokens;
  private final Map<String, Integer> ids;
  private final MergeTable merges;
  private final int startOfText;
  private final int endOfText;

  private Vocabulary(String[] tokens, Map<String, Integer> ids, MergeTable merges, String source) {
    this.tokens = tokens;
    this.ids = ids;
    this.merges = merges;
    this.startOfText = requireId(ids, START_OF_TEXT, source);
    this.endOfText = requireId(ids, END_OF_TEXT, source);
  }

  private static int requireId(Map<String, Integer> ids, String token, String source) {
    Integer id = ids.get(token);
    if (id == null) {
      throw new IllegalArgumentException(source + " has no special token " + token);
    }
    return id;
  }

  /**
   * Reads OpenAI's {@code bpe_simple_vocab_16e6.txt.gz} and builds the vocabulary as {@code
   * simple_tokenizer} does: the 256 byte characters, the same with {@code </w>}, each merge of
   * lines 1 to 48894 joined, then the two special tokens.
   */
  static Vocabulary readOpenAiMerges(Path gz) throws IOException {
    String text;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      text = decodeUtf8(in.readAllBytes(), gz);
    } catch (ZipException e) {
      throw new IOException(gz + " is not a gzip file: " + e.getMessage(), e);
    }
    String[] lines = text.split("\n", -1);
    int last = Math.min(lines.length, OPENAI_MERGE_LINES + 1);
    List<String> vocab = new ArrayList<>(512 + last + 2);
    char[] alphabet = ByteLevelAlphabet.charsInTableOrder();
    for (char c : alphabet) {
      vocab.add(String.valueOf(c));
    }
    for (char c : alphabet) {
      vocab.add(c + END_OF_WORD);
    }
    List<String[]> pairs = new ArrayList<>(Math.max(0, last - 1));
    for (int i = 1; i < last; i++) {
      String[] parts = splitOnWhitespace(lines[i]);
      vocab.add(String.join("", parts));
      pairs.add(parts);
    }
    vocab.add(START_OF_TEXT);
    vocab.add(END_OF_TEXT);

    Map<String, Integer> ids = new HashMap<>(vocab.size() * 2);
    for (int id = 0; id < vocab.size(); id++) {
      ids.put(vocab.get(id), id);
    }
    MergeTable merges = new MergeTable(pairs.size());
    for (int rank = 0; rank < pairs.size(); rank++) {
      String[] parts = pairs.get(rank);
      // Only two-part lines can ever match a pair of symbols; every symbol a word can hold is in
      // this vocabulary, so a merge naming anything else never applies.
      if (parts.length == 2) {
        Integer left = ids.get(parts[0]);
        Integer right = ids.get(parts[1]);
        if (left != null && right != null) {
          // Every merge's joined pair was added to the vocabulary above.
          merges.put(left, right, rank, Objects.requireNonNull(ids.get(parts[0] + parts[1])));
        }
      }
    }
    return new Vocabulary(vocab.toArray(String[]::new), ids, merges, gz.toString());
  }

  /**
   * Reads a Hugging Face {@code CLIPTokenizer} pair: {@code vocab.json} (token to id) and {@code
   * merges.txt} (one "left right" pair per line, ranked by order, after an optional {@code
   * #version} line). Every merge and its result must be in the vocabulary.
   */
  static Vocabulary readHuggingFace(Path vocabJson, Path mergesTxt) throws IOException {
    Map<String, Integer> ids;
    try {
      ids =
          new ObjectMapper()
              .readValue(
                  vocabJson.toFile(), new TypeReference<LinkedHashMap<String, Integer>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          vocabJson + " is not a JSON object of token to id: " + e.getOriginalMessage(), e);
    }
    if (ids == null || ids.isEmpty()) {
      throw new IllegalArgumentException(vocabJson + " holds no tokens");
    }
    int size = 0;
    for (Map.Entry<String, Integer> entry : ids.entrySet()) {
      Integer id = entry.getValue();
      if (id == null || id < 0) {
        throw new IllegalArgumentException(
            vocabJson + ": token '" + entry.getKey() + "' has invalid id " + id);
      }
      size = Math.max(size, id + 1);
    }
    String[] tokens = new String[size];
    ids.forEach((token, id) -> tokens[id] = token);

    List<String> lines = Files.readAllLines(mergesTxt, StandardCharsets.UTF_8);
    MergeTable merges = new MergeTable(lines.size());
    int rank = 0;
    for (int number = 1; number <= lines.size(); number++) {
      String line = lines.get(number - 1);
      if (line.isBlank() || (number == 1 && line.startsWith("#version"))) {
        continue;
      }
      String[] parts = line.trim().split(" ", -1);
      if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
        throw new IllegalArgumentException(
            mergesTxt + " line " + number + ": expected two tokens separated by a space: " + line);
      }
      Integer left = ids.get(parts[0]);
      Integer right = ids.get(parts[1]);
      Integer result = ids.get(parts[0] + parts[1]);
      if (left == null || right == null || result == null) {
        throw new IllegalArgumentException(
            mergesTxt
                + " line "
                + number
                + ": '"
                + line
                + "' names a token that "
                + vocabJson.getFileName()
                + " lacks");
      }
      merges.put(left, right, rank++, result);
    }
    return new Vocabulary(tokens, Map.copyOf(ids), merges, vocabJson.toString());
  }

  private static String decodeUtf8(byte[] bytes, Path source) throws IOException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IOException(source + " is not UTF-8 text", e);
    }
  }

  /** Python's {@code str.split()}: fields between runs of whitespace. */
  private static String[] splitOnWhitespace(String line) {
    List<String> parts = new ArrayList<>(2);
    int i = 0;
    while (i < line.length()) {
      while (i < line.length() && PythonText.isSpace(line.codePointAt(i))) {
        i += Character.charCount(line.codePointAt(i));
      }
      int start = i;
      while (i < line.length() && !PythonText.isSpace(line.codePointAt(i))) {
        i += Character.charCount(line.codePointAt(i));
      }
      if (i > start) {
        parts.add(line.substring(start, i));
      }
    }
    return parts.toArray(String[]::new);
  }

  int size() {
    return tokens.length;
  }

  /** The token string of an id, or {@code null} for an id no token has. */
  @Nullable String token(int id) {
    return id >= 0 && id < tokens.length ? tokens[id] : null;
  }

  OptionalInt id(String token) {
    Integer id = ids.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  int startOfText() {
    return startOfText;
  }

  int endOfText() {
    return endOfText;
  }

  /** The symbol of each byte (0..255) inside a word, or with {@code </w>} when it ends one. */
  int[] byteSymbols(boolean endOfWord) {
    int[] symbols = new int[256];
    for (int b = 0; b < 256; b++) {
      String token = ByteLevelAlphabet.charOf(b) + (endOfWord ? END_OF_WORD : "");
      Integer id = ids.get(token);
      symbols[b] = id != null ? id : -(b + 1);
    }
    return symbols;
  }

  MergeTable merges() {
    return merges;
  }
}
