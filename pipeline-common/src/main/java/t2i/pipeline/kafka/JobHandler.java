package t2i.pipeline.kafka;

import java.util.concurrent.CompletionStage;

/**
 * A stage's work on one record. Called on the loop's thread, so it must return quickly: hand long
 * work to the stage's own bounded executor and return a stage that completes when it is done.
 *
 * <p>The returned stage completes when every output of the record is acknowledged (by Kafka and,
 * where used, Redis); the record's offset is committed only then. It completes exceptionally for
 * internal failures, which the loop retries and finally hands to the {@link RecordFailureSink}.
 * Failures a user caused (a prompt that is too long, say) are not exceptions: the handler records
 * them as the job's outcome and completes normally.
 */
@FunctionalInterface
public interface JobHandler<T> {

  CompletionStage<?> handle(Delivery<T> delivery) throws Exception;
}
