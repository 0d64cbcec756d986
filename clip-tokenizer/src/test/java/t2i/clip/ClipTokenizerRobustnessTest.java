package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Any string yields ids within the vocabulary, quickly, from any number of threads. */
class ClipTokenizerRobustnessTest {

  private final ClipTokenizer tokenizer = ReferenceFiles.openAiTokenizer();

  /** Code point ranges the random strings draw from, each equally likely. */
  private static final int[][] POOLS = {
    {0x00, 0x7F}, // ASCII, controls included
    {0x80, 0x9F}, // C1 controls
    {0xA0, 0x24F}, // Latin-1 and Latin Extended: mojibake material
    {0x0300, 0x036F}, // combining marks
    {0x0370, 0x052F}, // Greek and Cyrillic
    {0x1AB0, 0x1AFF}, // more combining marks
    {0x2000, 0x206F}, // spaces, quotes, invisible controls
    {0x2500, 0x259F}, // box drawing
    {0x3000, 0x30FF}, // CJK punctuation and kana
    {0xAC00, 0xD7A3}, // Hangul syllables
    {0xD800, 0xDFFF}, // surrogates, paired or not
    {0xFB00, 0xFFFF}, // ligatures, width forms, specials
    {0x1F300, 0x1FAFF}, // emoji
    {0xE0000, 0xE007F}, // tags
    {0x0, 0x10FFFF}, // anything
  };

  private static final String[] FRAGMENTS = {
    "&amp;",
    "&lt;",
    "&#x",
    "&#",
    ";",
    "<",
    "<|endoftext|>",
    "'s",
    "'LL",
    "\r\n",
    "\u001B[",
    "Ã",
    "â€",
    "Â ",
    "\u00C0\u0080",
    "\u00ED\u00A0\u00BD",
    "\u0345",
    "Σ",
    "İ",
    "ſ",
    "ﬁ",
    "ｱ",
    " "
  };

  private static String randomText(Random random) {
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(40);
    for (int i = 0; i < length; i++) {
      if (random.nextInt(5) == 0) {
        text.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
      } else {
        int[] pool = POOLS[random.nextInt(POOLS.length)];
        int cp = pool[0] + random.nextInt(pool[1] - pool[0] + 1);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
          text.append((char) cp);
        } else {
          text.appendCodePoint(cp);
        }
      }
    }
    return text.toString();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void encode_randomCodePoints_neverThrowsAndStaysInVocabulary() {
    Random random = new Random(20240611L);
    for (int i = 0; i < 5000; i++) {
      String text = randomText(random);

      int[] ids = tokenizer.encode(text);

      assertInVocabulary(ids, escaped(text));
      assertThat(tokenizer.tokenize(text).stream().mapToInt(Token::id).toArray())
          .as("tokenize of %s", escaped(text))
          .containsExactly(ids);
      assertThat(tokenizer.decode(ids)).isNotNull();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void encode_hugeInputs_finishWithIdsInVocabulary() {
    String[] inputs = {
      "a".repeat(100_000),
      "\uD83D\uDE00".repeat(50_000),
      "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67".repeat(12_500),
      "\u0323\u0301".repeat(50_000),
      "\uD800".repeat(100_000),
      "\u0000".repeat(100_000),
      "\u00C3\u00A9".repeat(50_000),
      "&" + "amp;".repeat(25_000),
      "x y\n".repeat(25_000),
    };
    for (String input : inputs) {
      int[] ids = tokenizer.encode(input);

      assertInVocabulary(ids, input.substring(0, 8));
    }
    assertThat(tokenizer.decode(tokenizer.encode("a".repeat(100_000))))
        .isEqualTo("a".repeat(100_000) + " ");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void encode_fromManyThreads_matchesSingleThreadedResults() throws Exception {
    Random random = new Random(7L);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      texts.add(randomText(random));
      texts.add(
          "a photo of a " + List.of("cat", "dog", "horse", "bird").get(i % 4) + " number " + i);
    }
    ClipTokenizer fresh = ClipTokenizer.load(ReferenceFiles.openAiVocabulary());
    List<int[]> expected = texts.stream().map(tokenizer::encode).toList();

    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<int[]>>> results = new ArrayList<>();
      for (int thread = 0; thread < 4; thread++) {
        results.add(
            pool.submit(
                () -> {
                  List<int[]> ids = new ArrayList<>();
                  for (int round = 0; round < 3; round++) {
                    ids.clear();
                    texts.forEach(text -> ids.add(fresh.encode(text)));
                  }
                  return ids;
                }));
      }
      for (Future<List<int[]>> result : results) {
        List<int[]> ids = result.get();
        for (int i = 0; i < texts.size(); i++) {
          assertThat(ids.get(i)).as("text %d", i).containsExactly(expected.get(i));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void assertInVocabulary(int[] ids, String text) {
    for (int id : ids) {
      assertThat(id).as("id for %s", text).isBetween(0, tokenizer.vocabularySize() - 1);
    }
  }

  private static String escaped(String text) {
    StringBuilder out = new StringBuilder("\"");
    text.chars()
        .forEach(c -> out.append(c >= 0x20 && c < 0x7F ? "" + (char) c : "\\u%04X".formatted(c)));
    return out.append('"').toString();
  }
}
