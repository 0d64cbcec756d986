package t2i.tokenizer;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import t2i.pipeline.job.JobGate;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.JobSubmitted;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;

/**
 * Tokenizes a submitted job's prompt and negative prompt and passes the job on to the text encoder.
 * Tokenizing takes microseconds, so it runs on the consumer's thread.
 */
final class TokenizeHandler implements JobHandler<JobSubmitted> {

  static final String STAGE = "tokenizer-service";

  private final Map<String, ModelTokenizer> tokenizers;
  private final JobTracker tracker;
  private final JobGate gate;
  private final Publisher publisher;
  private final String outputTopic;

  TokenizeHandler(
      Map<String, ModelTokenizer> tokenizers,
      JobTracker tracker,
      JobGate gate,
      Publisher publisher,
      String outputTopic) {
    this.tokenizers = Map.copyOf(tokenizers);
    this.tracker = tracker;
    this.gate = gate;
    this.publisher = publisher;
    this.outputTopic = outputTopic;
  }

  @Override
  public CompletionStage<?> handle(Delivery<JobSubmitted> delivery) {
    JobSpec spec = delivery.value().getSpec();
    Optional<CompletableFuture<?>> skip = gate.skipReason(spec, STAGE);
    if (skip.isPresent()) {
      return skip.get();
    }
    GenerateRequest request = spec.getRequest();
    ModelTokenizer tokenizer = tokenizers.get(request.getModel());
    if (tokenizer == null) {
      return tracker.finish(
          spec.getJobId(),
          JobState.FAILED,
          "Model '"
              + request.getModel()
              + "' is not installed on the tokenizer service; available: "
              + tokenizers.keySet());
    }
    TokenizedJob tokenized =
        TokenizedJob.newBuilder()
            .setSpec(spec)
            .setPrompt(tokenizer.frame(request.getPrompt()))
            .setNegativePrompt(tokenizer.frame(request.getNegativePrompt()))
            .build();
    // The state event and the output are independent: send both at once.
    return CompletableFuture.allOf(
        tracker.advance(spec.getJobId(), JobState.TOKENIZING),
        publisher.send(outputTopic, spec.getJobId(), tokenized));
  }
}
