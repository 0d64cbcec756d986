package t2i.clip;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * OpenAI CLIP's byte-level BPE tokenizer, giving the ids of its reference implementation ({@code
 * simple_tokenizer.py} with ftfy 6.3.1 and the {@code regex} module) for any text.
 *
 * <p>{@link #encode} cleans the text as the reference does, {@code
 * whitespace_clean(basic_clean(text)).lower()}: ftfy's {@code fix_text} with its default
 * configuration (HTML entities, mojibake repair, C1 controls, Latin ligatures, character width,
 * curly quotes, line breaks, surrogates, terminal escapes, control characters, NFC), Python's
 * {@code html.unescape} twice, {@code strip()}, whitespace runs to one space, Python's {@code
 * lower()}. It then splits the text with the reference's word pattern and byte-pair encodes each
 * word, and returns the raw ids: no start or end token, no padding, no truncation. Any string is
 * accepted, including unpaired surrogates, NUL and other controls; a Java string is read as code
 * points, a valid surrogate pair being one character, as Python sees the same text. The work is O(n
 * log n) in the length of the text.
 *
 * <p>Character properties come from tables generated with the reference's interpreter, not from the
 * JDK: Python 3.11's {@code unicodedata} (Unicode 14.0) for {@code lower()}, {@code isspace()}, the
 * {@code re} patterns of ftfy and NFC, and {@code regex} 2026.5.9 (Unicode 17.0) for the word
 * pattern. What differs from the reference:
 *
 * <ul>
 *   <li>Under another Python or {@code regex} version, the reference differs from these tables on
 *       code points assigned in Unicode versions between the two (for example, with {@code regex}
 *       2022.10.31, letters new in Unicode 16 and 17 are punctuation to the word pattern).
 *   <li>ftfy repeats its rounds of fixes on a line until nothing changes, and its mojibake repair
 *       until nothing changes; here each stops after 100 rounds, which only text escaped or
 *       mis-decoded more than that many times over needs.
 *   <li>A byte missing from a small vocabulary becomes {@code <|endoftext|>} (Hugging Face's
 *       unknown token for CLIP), where the reference fails.
 * </ul>
 *
 * <p>Instances are immutable and thread-safe. A bounded cache of recently encoded words is shared
 * by all threads.
 */
public final class ClipTokenizer {

  private final Vocabulary vocabulary;
  private final BytePairEncoder bytePairEncoder;

  private ClipTokenizer(Vocabulary vocabulary) {
    this.vocabulary = vocabulary;
    this.bytePairEncoder =
        new BytePairEncoder(
            vocabulary.byteSymbols(false), vocabulary.byteSymbols(true), vocabulary.merges());
  }

  /**
   * Loads a vocabulary from:
   *
   * <ul>
   *   <li>OpenAI's {@code bpe_simple_vocab_16e6.txt.gz} (any {@code .gz} file of that format), or a
   *       directory holding it;
   *   <li>a directory with Hugging Face's {@code vocab.json} and {@code merges.txt} (merges ranked
   *       in file order after an optional first line starting with {@code #version});
   *   <li>a model directory whose {@code tokenizer/} subdirectory holds those two files.
   * </ul>
   *
   * @throws NoSuchFileException if the path does not exist
   * @throws IOException if the files cannot be read, or a directory holds none of these layouts
   * @throws IllegalArgumentException if the files are malformed or lack a special token
   */
  public static ClipTokenizer load(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString(), null, "no CLIP vocabulary at this path");
    }
    if (Files.isRegularFile(path)) {
      if (!path.getFileName().toString().endsWith(".gz")) {
        throw new IOException(
            path
                + ": expected OpenAI's bpe_simple_vocab_16e6.txt.gz or a directory with"
                + " vocab.json and merges.txt");
      }
      return new ClipTokenizer(Vocabulary.readOpenAiMerges(path));
    }
    for (Path dir : List.of(path, path.resolve("tokenizer"))) {
      Path vocabJson = dir.resolve("vocab.json");
      Path mergesTxt = dir.resolve("merges.txt");
      if (Files.isRegularFile(vocabJson) && Files.isRegularFile(mergesTxt)) {
        return new ClipTokenizer(Vocabulary.readHuggingFace(vocabJson, mergesTxt));
      }
      if (Files.isRegularFile(vocabJson) != Files.isRegularFile(mergesTxt)) {
        throw new IOException(
            dir
                + " has "
                + (Files.isRegularFile(vocabJson)
                    ? "vocab.json but no merges.txt"
                    : "merges.txt but no vocab.json"));
      }
    }
    Path gz = path.resolve("bpe_simple_vocab_16e6.txt.gz");
    if (Files.isRegularFile(gz)) {
      return new ClipTokenizer(Vocabulary.readOpenAiMerges(gz));
    }
    throw new IOException(
        path
            + " holds no CLIP vocabulary: expected vocab.json and merges.txt, tokenizer/vocab.json"
            + " and tokenizer/merges.txt, or bpe_simple_vocab_16e6.txt.gz");
  }

  /** The token ids of the text, without start or end token. Never throws for a non-null text. */
  public int[] encode(String text) {
    Objects.requireNonNull(text, "text");
    byte[] utf8 = TextCleaner.cleanToUtf8(text);
    IdSink sink = new IdSink(utf8.length / 3 + 4);
    PreTokenizer.split(utf8, utf8.length, sink);
    return sink.toArray();
  }

  /** The tokens of the text, one per id that {@link #encode} returns, in the same order. */
  public List<Token> tokenize(String text) {
    Objects.requireNonNull(text, "text");
    byte[] utf8 = TextCleaner.cleanToUtf8(text);
    List<Token> tokens = new ArrayList<>();
    PreTokenizer.split(
        utf8,
        utf8.length,
        new PreTokenizer.Sink() {
          @Override
          public void word(byte[] bytes, int start, int end) {
            int[] symbols = bytePairEncoder.encode(bytes, start, end);
            for (int k = 0; k < symbols.length; k++) {
              tokens.add(tokenOf(symbols[k], k == symbols.length - 1));
            }
          }

          @Override
          public void special(boolean startOfText) {
            int id = startOfText ? vocabulary.startOfText() : vocabulary.endOfText();
            // The special tokens are always in the vocabulary.
            tokens.add(new Token(id, Objects.requireNonNull(vocabulary.token(id)), false));
          }
        });
    return List.copyOf(tokens);
  }

  /**
   * The vocabulary entry of an id, as a token (for showing what ids stand for).
   *
   * @throws IllegalArgumentException if the id is not in the vocabulary
   */
  public Token token(int id) {
    if (id < 0 || id >= vocabularySize()) {
      throw new IllegalArgumentException(
          "token id " + id + " is not in the vocabulary of " + vocabularySize());
    }
    return tokenOf(id, false);
  }

  private Token tokenOf(int symbol, boolean last) {
    if (symbol < 0) {
      String piece = String.valueOf(ByteLevelAlphabet.charOf(-symbol - 1));
      return new Token(vocabulary.endOfText(), piece, last);
    }
    // Non-negative symbols are ids of the vocabulary itself.
    String entry = Objects.requireNonNull(vocabulary.token(symbol));
    boolean endOfWord = entry.endsWith(Vocabulary.END_OF_WORD);
    String piece =
        endOfWord ? entry.substring(0, entry.length() - Vocabulary.END_OF_WORD.length()) : entry;
    return new Token(symbol, piece, endOfWord);
  }

  /**
   * Best-effort text of token ids, as the reference's {@code decode}: the bytes of the tokens as
   * UTF-8 (invalid sequences become U+FFFD) with each {@code </w>} turned into a space.
   *
   * @throws IllegalArgumentException if an id is not in the vocabulary
   */
  public String decode(int[] ids) {
    Objects.requireNonNull(ids, "ids");
    StringBuilder spelled = new StringBuilder(ids.length * 4);
    for (int id : ids) {
      String token = vocabulary.token(id);
      if (token == null) {
        throw new IllegalArgumentException(
            "token id " + id + " is not in the vocabulary of " + vocabulary.size());
      }
      spelled.append(token);
    }
    byte[] bytes = new byte[spelled.length() * 3];
    int n = 0;
    for (int i = 0; i < spelled.length(); i++) {
      char c = spelled.charAt(i);
      int b = ByteLevelAlphabet.byteOf(c);
      if (b >= 0) {
        bytes[n++] = (byte) b;
      } else {
        // Not a byte character (possible in a hand-made vocabulary): keep the character itself.
        n = Utf8.put(bytes, n, c);
      }
    }
    return new String(bytes, 0, n, StandardCharsets.UTF_8).replace(Vocabulary.END_OF_WORD, " ");
  }

  /** The id of {@code <|startoftext|>} in this vocabulary. */
  public int startOfTextId() {
    return vocabulary.startOfText();
  }

  /** The id of {@code <|endoftext|>} in this vocabulary. */
  public int endOfTextId() {
    return vocabulary.endOfText();
  }

  /** One more than the largest id in the vocabulary. */
  public int vocabularySize() {
    return vocabulary.size();
  }

  /** The id of a vocabulary entry, spelled in the byte-level alphabet (e.g. {@code "cat</w>"}). */
  public OptionalInt idOf(String token) {
    return vocabulary.id(Objects.requireNonNull(token, "token"));
  }

  /** Collects ids; a byte missing from a small vocabulary becomes {@code <|endoftext|>}. */
  private final class IdSink implements PreTokenizer.Sink {
    private int[] ids;
    private int size;

    IdSink(int capacity) {
      ids = new int[capacity];
    }

    @Override
    public void word(byte[] utf8, int start, int end) {
      int[] symbols = bytePairEncoder.encode(utf8, start, end);
      if (size + symbols.length > ids.length) {
        ids = Arrays.copyOf(ids, Math.max(ids.length * 2, size + symbols.length));
      }
      for (int symbol : symbols) {
        ids[size++] = symbol >= 0 ? symbol : vocabulary.endOfText();
      }
    }

    @Override
    public void special(boolean startOfText) {
      if (size == ids.length) {
        ids = Arrays.copyOf(ids, ids.length * 2 + 1);
      }
      ids[size++] = startOfText ? vocabulary.startOfText() : vocabulary.endOfText();
    }

    int[] toArray() {
      return Arrays.copyOf(ids, size);
    }
  }
}
