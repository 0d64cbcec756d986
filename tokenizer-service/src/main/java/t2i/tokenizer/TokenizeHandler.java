package t2i.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import t2i.clip.prompt.PromptChunk;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.failure.JobFailure;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.stage.Stages;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.JobSubmitted;
import t2i.pipeline.v1.PromptTokens;
import t2i.pipeline.v1.TokenChunk;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.GenerateRequest;

/**
 * Tokenizes a submitted job's prompt and negative prompt into text-encoder windows (with attention
 * weights) and passes the job on to the text encoder. The shorter of the two is padded with windows
 * of the empty prompt, so both encode to the same length. Tokenizing takes microseconds, so it runs
 * on the consumer's thread. The stage loop has already checked the job (see {@code JobGate}).
 */
final class TokenizeHandler implements JobHandler<JobSubmitted> {

  static final String STAGE = Stages.TOKENIZER;

  private final Map<String, PromptTokenizer> tokenizers;
  private final int maxChunks;
  private final Publisher publisher;
  private final String outputTopic;

  TokenizeHandler(
      Map<String, PromptTokenizer> tokenizers,
      int maxChunks,
      Publisher publisher,
      String outputTopic) {
    this.tokenizers = Map.copyOf(tokenizers);
    this.maxChunks = maxChunks;
    this.publisher = publisher;
    this.outputTopic = outputTopic;
  }

  @Override
  public CompletionStage<?> handle(Delivery<JobSubmitted> delivery) {
    JobSpec spec = delivery.value().getSpec();
    GenerateRequest request = spec.getRequest();
    PromptTokenizer tokenizer = tokenizers.get(request.getModel());
    if (tokenizer == null) {
      throw new JobFailure(
          "Model '"
              + request.getModel()
              + "' is not installed on the tokenizer service; available: "
              + tokenizers.keySet());
    }
    List<PromptChunk> prompt = tokenizer.tokenize(request.getPrompt(), maxChunks).chunks();
    List<PromptChunk> negative =
        tokenizer.tokenize(request.getNegativePrompt(), maxChunks).chunks();
    int windows = Math.max(prompt.size(), negative.size());
    TokenizedJob tokenized =
        TokenizedJob.newBuilder()
            .setSpec(spec)
            .setPrompt(toMessage(tokenizer.padTo(prompt, windows)))
            .setNegativePrompt(toMessage(tokenizer.padTo(negative, windows)))
            .build();
    // TOKENIZING was recorded, not announced, as the gate let the job in: it is in the encoders'
    // queue within a millisecond. The result is where the job now waits (see JobHandler).
    return publisher.send(outputTopic, spec.getJobId(), tokenized);
  }

  static PromptTokens toMessage(List<PromptChunk> chunks) {
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
