package t2i.pipeline.job;

import java.util.List;
import t2i.clip.prompt.PromptChunk;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.PromptTokens;
import t2i.pipeline.v1.TokenChunk;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.GenerateRequest;

/**
 * Turns a job into what the text encoders take: its prompt and negative prompt as encoder windows
 * (with attention weights), the shorter padded with windows of the empty prompt so that both encode
 * to the same length. The tokenizer service does this for jobs it reads; a gateway set to publish
 * tokenized jobs does it before publishing. Stateless.
 */
public final class TokenizedJobs {

  private TokenizedJobs() {}

  /**
   * The job with its prompts tokenized by {@code tokenizer}, the tokenizer of the job's model.
   *
   * @param maxChunks most windows a prompt may take; tokens beyond them are cut off
   */
  public static TokenizedJob of(JobSpec spec, PromptTokenizer tokenizer, int maxChunks) {
    GenerateRequest request = spec.getRequest();
    List<PromptChunk> prompt = tokenizer.tokenize(request.getPrompt(), maxChunks).chunks();
    List<PromptChunk> negative =
        tokenizer.tokenize(request.getNegativePrompt(), maxChunks).chunks();
    int windows = Math.max(prompt.size(), negative.size());
    return TokenizedJob.newBuilder()
        .setSpec(spec)
        .setPrompt(toMessage(tokenizer.padTo(prompt, windows)))
        .setNegativePrompt(toMessage(tokenizer.padTo(negative, windows)))
        .build();
  }

  private static PromptTokens toMessage(List<PromptChunk> chunks) {
    PromptTokens.Builder tokens = PromptTokens.newBuilder();
    for (PromptChunk chunk : chunks) {
      TokenChunk.Builder window = TokenChunk.newBuilder();
      for (int id : chunk.ids()) {
        window.addIds(id);
      }
      if (chunk.isWeighted()) {
        for (float weight : chunk.weights()) {
          window.addWeights(weight);
        }
      }
      tokens.addChunks(window);
    }
    return tokens.build();
  }
}
