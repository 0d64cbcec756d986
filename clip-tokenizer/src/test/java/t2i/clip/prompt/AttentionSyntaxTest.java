package t2i.clip.prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The examples that define AUTOMATIC1111's attention syntax, and its edge cases. */
class AttentionSyntaxTest {

  private static void assertRuns(String prompt, Object... textsAndWeights) {
    List<WeightedText> runs = AttentionSyntax.parse(prompt);
    assertThat(runs).hasSize(textsAndWeights.length / 2);
    for (int i = 0; i < runs.size(); i++) {
      assertThat(runs.get(i).text()).as("text of run %d", i).isEqualTo(textsAndWeights[2 * i]);
      assertThat(runs.get(i).weight())
          .as("weight of run %d", i)
          .isCloseTo(((Number) textsAndWeights[2 * i + 1]).floatValue(), within(1e-5f));
    }
  }

  @Test
  void plainText_isOneRunOfWeightOne() {
    assertRuns("normal text", "normal text", 1.0);
  }

  @Test
  void roundBrackets_multiplyBy1point1() {
    assertRuns("an (important) word", "an ", 1.0, "important", 1.1, " word", 1.0);
    assertRuns("((twice))", "twice", 1.21);
  }

  @Test
  void explicitWeight_replacesTheBracketsFactor() {
    assertRuns("a (cat:1.3) here", "a ", 1.0, "cat", 1.3, " here", 1.0);
    assertRuns("(cat: -0.5 )", "cat", -0.5);
  }

  @Test
  void squareBrackets_divideBy1point1() {
    assertRuns("[faint]", "faint", 1 / 1.1);
  }

  @Test
  void unclosedBracket_appliesToTheRest() {
    assertRuns("(unbalanced", "unbalanced", 1.1);
  }

  @Test
  void escapedBrackets_areLiteralText() {
    assertRuns("\\(literal\\]", "(literal]", 1.0);
  }

  @Test
  void neighbouringRunsOfEqualWeight_merge() {
    assertRuns("(unnecessary)(parens)", "unnecessaryparens", 1.1);
  }

  @Test
  void nestedWeights_combineLikeTheReference() {
    assertRuns(
        "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
        "a ",
        1.0,
        "house",
        1.573,
        " ",
        1.1,
        "on",
        1.0,
        " a ",
        1.1,
        "hill",
        0.55,
        ", sun, ",
        1.1,
        "sky",
        1.4641,
        ".",
        1.1);
  }

  @Test
  void break_splitsIntoSeparateRuns() {
    List<WeightedText> runs = AttentionSyntax.parse("a cat BREAK a dog");

    assertThat(runs).extracting(WeightedText::isBreak).containsExactly(false, true, false);
    assertThat(runs.get(0).text()).isEqualTo("a cat");
    assertThat(runs.get(2).text()).isEqualTo("a dog");
  }

  @Test
  void breakInsideAWord_isText() {
    assertThat(AttentionSyntax.parse("BREAKFAST"))
        .extracting(WeightedText::isBreak)
        .containsOnly(false);
  }

  @Test
  void emptyPrompt_isOneEmptyRun() {
    assertRuns("", "", 1.0);
  }

  @Test
  void malformedWeight_keepsWeightOne() {
    assertThat(AttentionSyntax.parse("(a:1.2.3)")).isNotEmpty();
  }
}
