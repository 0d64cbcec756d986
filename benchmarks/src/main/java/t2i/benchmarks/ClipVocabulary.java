package t2i.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The CLIP vocabulary as OpenAI's {@code simple_tokenizer.py} builds it from {@code
 * bpe_simple_vocab_16e6.txt.gz}: the 256 byte characters, the same with {@code </w>}, each merge of
 * lines 1 to 48894 joined, then {@code <|startoftext|>} and {@code <|endoftext|>}. Built here
 * independently of {@code clip-tokenizer}, so that the two tokenizers compared share only the file.
 *
 * @param tokens the vocabulary entries in id order
 * @param merges the merges in rank order, each as its two entries separated by one space
 */
record ClipVocabulary(List<String> tokens, List<String> merges) {

  static final String START_OF_TEXT = "<|startoftext|>";
  static final String END_OF_TEXT = "<|endoftext|>";
  static final String END_OF_WORD = "</w>";

  /** The merge lines {@code simple_tokenizer.py} keeps: {@code [1 : 49152 - 256 - 2 + 1]}. */
  private static final int MERGE_COUNT = 49152 - 256 - 2;

  ClipVocabulary {
    tokens = List.copyOf(tokens);
    merges = List.copyOf(merges);
  }

  static ClipVocabulary readOpenAi(Path gz) throws IOException {
    String text;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String[] lines = text.split("\n", -1);
    if (lines.length < MERGE_COUNT + 1) {
      throw new IOException(gz + " has " + lines.length + " lines, expected at least 48895");
    }
    List<String> merges = List.of(lines).subList(1, MERGE_COUNT + 1);
    List<String> tokens = new ArrayList<>(512 + MERGE_COUNT + 2);
    char[] alphabet = byteAlphabetInTableOrder();
    for (char c : alphabet) {
      tokens.add(String.valueOf(c));
    }
    for (char c : alphabet) {
      tokens.add(c + END_OF_WORD);
    }
    for (String merge : merges) {
      int space = merge.indexOf(' ');
      if (space <= 0 || merge.indexOf(' ', space + 1) >= 0) {
        throw new IOException(gz + ": a merge line is not two symbols: " + merge);
      }
      tokens.add(merge.substring(0, space) + merge.substring(space + 1));
    }
    tokens.add(START_OF_TEXT);
    tokens.add(END_OF_TEXT);
    return new ClipVocabulary(tokens, merges);
  }

  /**
   * CLIP's {@code bytes_to_unicode} characters in its table order: the printable Latin-1 bytes as
   * themselves, then the other 68 bytes, in byte order, as U+0100 onwards.
   */
  static char[] byteAlphabetInTableOrder() {
    char[] chars = new char[256];
    int next = 0;
    for (int b = 0; b < 256; b++) {
      if (isPrintable(b)) {
        chars[next++] = (char) b;
      }
    }
    int shifted = 0;
    for (int b = 0; b < 256; b++) {
      if (!isPrintable(b)) {
        chars[next++] = (char) (0x100 + shifted++);
      }
    }
    return chars;
  }

  private static boolean isPrintable(int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
  }
}
