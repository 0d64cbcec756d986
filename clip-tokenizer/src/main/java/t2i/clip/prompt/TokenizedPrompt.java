package t2i.clip.prompt;

import java.util.List;

/**
 * A prompt as the text encoder will see it: its windows, and every token of the prompt with its
 * weight and place (including those cut off beyond the chunk limit).
 */
public record TokenizedPrompt(List<PromptChunk> chunks, List<PlacedToken> tokens) {

  public TokenizedPrompt {
    chunks = List.copyOf(chunks);
    tokens = List.copyOf(tokens);
  }

  public int cutOffCount() {
    return (int) tokens.stream().filter(PlacedToken::isCutOff).count();
  }

  /** True if any token has a weight other than 1. */
  public boolean isWeighted() {
    return chunks.stream().anyMatch(PromptChunk::isWeighted);
  }
}
