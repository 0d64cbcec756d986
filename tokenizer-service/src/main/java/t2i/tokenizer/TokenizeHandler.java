package t2i.tokenizer;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.failure.JobFailure;
import t2i.pipeline.job.TokenizedJobs;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.stage.Stages;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.JobSubmitted;

/**
 * Tokenizes a submitted job's prompt and negative prompt into text-encoder windows (see {@link
 * TokenizedJobs}) and passes the job on to the text encoder. Tokenizing takes microseconds, so it
 * runs on the consumer's thread. The stage loop has already checked the job (see {@code JobGate}).
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
    String model = spec.getRequest().getModel();
    PromptTokenizer tokenizer = tokenizers.get(model);
    if (tokenizer == null) {
      throw new JobFailure(
          "Model '"
              + model
              + "' is not installed on the tokenizer service; available: "
              + tokenizers.keySet());
    }
    // TOKENIZING was recorded, not announced, as the gate let the job in: it is in the encoders'
    // queue within a millisecond. The result is where the job now waits (see JobHandler).
    return publisher.send(
        outputTopic, spec.getJobId(), TokenizedJobs.of(spec, tokenizer, maxChunks));
  }
}
