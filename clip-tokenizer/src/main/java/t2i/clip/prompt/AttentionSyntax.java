package t2i.clip.prompt;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The attention syntax that AUTOMATIC1111's users type: {@code (word)} multiplies the attention of
 * {@code word} by 1.1, {@code ((word))} by 1.21, {@code (word:1.3)} by 1.3, {@code [word]} divides
 * it by 1.1; {@code \(} {@code \)} {@code \[} {@code \]} {@code \\} are literal; a standalone
 * {@code BREAK} starts a new chunk. Unbalanced brackets are forgiving: an unclosed bracket applies
 * to the rest of the prompt, a stray closing one is plain text. Never fails. Stateless and
 * thread-safe.
 */
public final class AttentionSyntax {

  static final float ROUND = 1.1f;
  static final float SQUARE = 1f / 1.1f;

  /** One token of the syntax; group 1 is the weight of a {@code :w)} closer. */
  private static final Pattern TOKEN =
      Pattern.compile(
          "\\\\\\(|\\\\\\)|\\\\\\[|\\\\]|\\\\\\\\|\\\\|\\(|\\[|:\\s*([+-]?[.\\d]+)\\s*\\)|\\)|]"
              + "|[^\\\\()\\[\\]:]+|:");

  private static final Pattern BREAK =
      Pattern.compile("\\s*\\bBREAK\\b\\s*", Pattern.DOTALL | Pattern.UNICODE_CHARACTER_CLASS);

  private AttentionSyntax() {}

  /**
   * Splits a prompt into runs of equal weight, in order; adjacent runs of equal weight are merged.
   * An empty prompt gives one empty run of weight 1.
   */
  public static List<WeightedText> parse(String prompt) {
    List<StringBuilder> texts = new ArrayList<>();
    List<Float> weights = new ArrayList<>();
    List<Boolean> breaks = new ArrayList<>();
    Deque<Integer> round = new ArrayDeque<>();
    Deque<Integer> square = new ArrayDeque<>();
    Matcher m = TOKEN.matcher(prompt);
    while (m.find()) {
      String token = m.group();
      String weight = m.group(1);
      if (token.startsWith("\\") && token.length() == 2) {
        add(texts, weights, breaks, token.substring(1), 1f, false);
      } else if (token.equals("\\")) {
        add(texts, weights, breaks, token, 1f, false);
      } else if (token.equals("(")) {
        round.push(texts.size());
      } else if (token.equals("[")) {
        square.push(texts.size());
      } else if (weight != null && !round.isEmpty()) {
        multiply(weights, round.pop(), parseWeight(weight));
      } else if (token.equals(")") && !round.isEmpty()) {
        multiply(weights, round.pop(), ROUND);
      } else if (token.equals("]") && !square.isEmpty()) {
        multiply(weights, square.pop(), SQUARE);
      } else {
        String[] parts = BREAK.split(token, -1);
        for (int i = 0; i < parts.length; i++) {
          if (i > 0) {
            add(texts, weights, breaks, "BREAK", -1f, true);
          }
          add(texts, weights, breaks, parts[i], 1f, false);
        }
      }
    }
    while (!round.isEmpty()) {
      multiply(weights, round.pop(), ROUND);
    }
    while (!square.isEmpty()) {
      multiply(weights, square.pop(), SQUARE);
    }
    return merge(texts, weights, breaks);
  }

  private static float parseWeight(String text) {
    try {
      float value = Float.parseFloat(text);
      return Float.isFinite(value) ? value : 1f;
    } catch (NumberFormatException e) {
      // "(a:1.2.3)" and the like: the reference fails on these; keep the text at weight 1.
      return 1f;
    }
  }

  private static void add(
      List<StringBuilder> texts,
      List<Float> weights,
      List<Boolean> breaks,
      String text,
      float weight,
      boolean isBreak) {
    texts.add(new StringBuilder(text));
    weights.add(weight);
    breaks.add(isBreak);
  }

  private static void multiply(List<Float> weights, int from, float factor) {
    for (int i = from; i < weights.size(); i++) {
      weights.set(i, weights.get(i) * factor);
    }
  }

  private static List<WeightedText> merge(
      List<StringBuilder> texts, List<Float> weights, List<Boolean> breaks) {
    List<WeightedText> result = new ArrayList<>();
    if (texts.isEmpty()) {
      result.add(WeightedText.text("", 1f));
      return result;
    }
    StringBuilder run = texts.getFirst();
    float weight = weights.getFirst();
    boolean isBreak = breaks.getFirst();
    for (int i = 1; i < texts.size(); i++) {
      if (!isBreak && !breaks.get(i) && weights.get(i) == weight) {
        run.append(texts.get(i));
      } else {
        result.add(
            isBreak ? WeightedText.breakMarker() : WeightedText.text(run.toString(), weight));
        run = texts.get(i);
        weight = weights.get(i);
        isBreak = breaks.get(i);
      }
    }
    result.add(isBreak ? WeightedText.breakMarker() : WeightedText.text(run.toString(), weight));
    return result;
  }
}
