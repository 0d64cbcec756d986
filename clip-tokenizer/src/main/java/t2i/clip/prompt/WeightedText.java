package t2i.clip.prompt;

/**
 * A run of prompt text with one attention weight, or a {@code BREAK} that forces the next text into
 * a new chunk.
 */
public record WeightedText(String text, float weight, boolean isBreak) {

  static WeightedText text(String text, float weight) {
    return new WeightedText(text, weight, false);
  }

  static WeightedText breakMarker() {
    return new WeightedText("BREAK", 1f, true);
  }
}
