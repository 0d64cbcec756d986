package t2i.pipeline.kafka;

import java.util.concurrent.CompletionStage;

/**
 * A stage's work on one record. Called on the loop's thread, so it must return quickly: hand long
 * work to the stage's own bounded executor and return a stage that completes when it is done.
 *
 * <p>The returned stage completes when every output of the record is acknowledged (by Kafka and,
 * where used, Redis); the record's offset is committed only then. A stage that hands the job on
 * completes it with the hand-off record's {@code RecordMetadata}, so that the job's record notes
 * where the job waits next (its queue position). It completes exceptionally, or the method throws,
 * when the work failed; {@link t2i.pipeline.failure.Failures#classify} decides what happens next: a
 * {@link t2i.pipeline.failure.JobFailure} ends the job FAILED with its message, an infrastructure
 * failure is retried until the job's deadline, a fatal one stops the process.
 */
@FunctionalInterface
public interface JobHandler<T> {

  CompletionStage<?> handle(Delivery<T> delivery) throws Exception;

  /**
   * The record's partition went to another consumer, which will deliver the record again: stop its
   * work here if it is still running (the loop no longer waits for it). Called on the loop's
   * thread.
   */
  default void revoked(Delivery<T> delivery) {}
}
