package t2i.pipeline.stage;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.kafka.Delivery;

/**
 * How a stage ends a record it cannot complete. Each method completes once the outcome is safely
 * recorded; only then is the record's offset committed. The loop retries a method that fails for a
 * transient reason, so each must be safe to call again.
 */
interface FailureSink<T> {

  /**
   * The job failed for a reason of its own: end it FAILED with that reason (null when the failure
   * carries no message).
   */
  CompletionStage<?> failed(Delivery<T> delivery, @Nullable String reason);

  /**
   * The job's deadline passed while the stage waited for infrastructure: end it EXPIRED.
   *
   * @param lastFailure why the last attempt failed, for the reason and the log
   */
  CompletionStage<?> expired(Delivery<T> delivery, Throwable lastFailure);

  /**
   * Set a record aside for an operator (the dead-letter topic): one that cannot be decoded ({@code
   * value} empty), or one that kept failing unexpectedly. Its job, if any, ends FAILED.
   */
  CompletionStage<?> park(
      ConsumerRecord<String, byte[]> record, Optional<T> value, Throwable cause);
}
