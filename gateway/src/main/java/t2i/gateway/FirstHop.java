package t2i.gateway;

import com.google.protobuf.MessageLite;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.job.TokenizedJobs;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.JobSubmitted;

/**
 * Where the gateway queues a new job, and as what: for the tokenizer service, or already tokenized
 * for the text encoders ({@code t2i.gateway.publish-tokenized}).
 *
 * @param topic the topic the job is published on
 * @param record the record a job is published as
 */
record FirstHop(String topic, Function<JobSpec, MessageLite> record) {

  /** The job as submitted, for the tokenizer service. */
  static FirstHop toTokenizers(String jobsTopic) {
    return new FirstHop(jobsTopic, spec -> JobSubmitted.newBuilder().setSpec(spec).build());
  }

  /**
   * The job tokenized here, for the text encoders.
   *
   * @param tokenizers every model's tokenizer, by model name; the request validator has already
   *     refused jobs for any other model
   */
  static FirstHop toEncoders(
      String tokenizedTopic, Map<String, PromptTokenizer> tokenizers, int maxChunks) {
    Map<String, PromptTokenizer> byModel = Map.copyOf(tokenizers);
    return new FirstHop(
        tokenizedTopic,
        spec ->
            TokenizedJobs.of(
                spec,
                Objects.requireNonNull(
                    byModel.get(spec.getRequest().getModel()),
                    () -> "no tokenizer for model " + spec.getRequest().getModel()),
                maxChunks));
  }
}
