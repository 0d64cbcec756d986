package t2i.pipeline.stage;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.failure.Failures;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.v1.DeadLetter;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/**
 * How a stage ends the jobs it cannot complete: FAILED with the job's own reason, EXPIRED when its
 * deadline passed while infrastructure was away, or parked in the dead-letter topic (with the
 * error, for an operator to inspect and replay) and FAILED. A parked record is shortened to fit the
 * topic whatever its size, so that it can never block its partition. An observer of jobs (the
 * notifier) ends no job: its failures are logged, and a record it cannot handle is parked only.
 * Thread-safe.
 */
final class StageOutcomes<T> implements FailureSink<T> {

  private static final Logger LOG = Logger.getLogger(StageOutcomes.class);

  /** The most of a record's value a dead letter keeps; its size and digest record the rest. */
  static final int MAX_PARKED_VALUE = 64 * 1024;

  private static final int MAX_PARKED_KEY = 1024;
  private static final int MAX_ERROR = 4096;

  private final Publisher publisher;
  private final String deadLetterTopic;
  private final JobTracker tracker;
  private final String stage;
  private final @Nullable Function<T, JobSpec> specOf;
  private final InstantSource clock;

  /** Outcomes that end the stage's jobs. */
  StageOutcomes(
      Publisher publisher,
      String deadLetterTopic,
      JobTracker tracker,
      String stage,
      Function<T, JobSpec> specOf,
      InstantSource clock) {
    this(publisher, deadLetterTopic, tracker, stage, clock, specOf);
  }

  private StageOutcomes(
      Publisher publisher,
      String deadLetterTopic,
      JobTracker tracker,
      String stage,
      InstantSource clock,
      @Nullable Function<T, JobSpec> specOf) {
    this.publisher = publisher;
    this.deadLetterTopic = deadLetterTopic;
    this.tracker = tracker;
    this.stage = stage;
    this.specOf = specOf;
    this.clock = clock;
  }

  /** Outcomes of an observer of jobs: they log and park, and never end a job. */
  static <T> StageOutcomes<T> observing(
      Publisher publisher,
      String deadLetterTopic,
      JobTracker tracker,
      String stage,
      InstantSource clock) {
    return new StageOutcomes<>(publisher, deadLetterTopic, tracker, stage, clock, null);
  }

  @Override
  public CompletionStage<?> failed(Delivery<T> delivery, @Nullable String reason) {
    if (specOf == null) {
      LOG.errorf("[%s] job %s: %s", stage, delivery.jobId(), reason);
      return CompletableFuture.completedFuture(null);
    }
    return tracker.finish(specOf.apply(delivery.value()), JobState.FAILED, reason);
  }

  @Override
  public CompletionStage<?> expired(Delivery<T> delivery, Throwable lastFailure) {
    if (specOf == null) {
      LOG.errorf(
          lastFailure, "[%s] job %s: gave up waiting for infrastructure", stage, delivery.jobId());
      return CompletableFuture.completedFuture(null);
    }
    return tracker.finish(
        specOf.apply(delivery.value()),
        JobState.EXPIRED,
        "The job's deadline passed while the "
            + stage
            + " waited for "
            + Failures.dependencyOf(lastFailure)
            + " to answer; submit it again when the service has recovered");
  }

  @Override
  public CompletionStage<?> park(
      ConsumerRecord<String, byte[]> record, Optional<T> value, Throwable cause) {
    CompletableFuture<?> parked =
        publisher.send(deadLetterTopic, key(record), letter(record, cause));
    if (specOf == null) {
      return parked;
    }
    String reason = Failures.internalError(stage);
    if (value.isPresent()) {
      JobSpec spec = specOf.apply(value.get());
      return parked.thenCompose(ignored -> tracker.finish(spec, JobState.FAILED, reason));
    }
    if (record.key() == null || record.key().length() > MAX_PARKED_KEY) {
      return parked;
    }
    // Undecodable: only the key may name a job, and only a job with a record is ended.
    return parked.thenCompose(ignored -> tracker.finish(record.key(), JobState.FAILED, reason));
  }

  private DeadLetter letter(ConsumerRecord<String, byte[]> record, Throwable cause) {
    DeadLetter.Builder letter =
        DeadLetter.newBuilder()
            .setSourceTopic(record.topic())
            .setPartition(record.partition())
            .setOffset(record.offset())
            .setError(truncate(String.valueOf(Failures.unwrap(cause)), MAX_ERROR))
            .setAtUnixMs(clock.millis());
    if (record.key() != null) {
      letter.setKey(ByteString.copyFromUtf8(truncate(record.key(), MAX_PARKED_KEY)));
    }
    byte[] bytes = record.value();
    if (bytes != null) {
      letter
          .setValueSize(bytes.length)
          .setValueSha256(ByteString.copyFrom(sha256(bytes)))
          .setValue(ByteString.copyFrom(bytes, 0, Math.min(bytes.length, MAX_PARKED_VALUE)))
          .setValueTruncated(bytes.length > MAX_PARKED_VALUE);
    }
    return letter.build();
  }

  private static String key(ConsumerRecord<String, byte[]> record) {
    return record.key() == null ? "" : truncate(record.key(), MAX_PARKED_KEY);
  }

  private static String truncate(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    return new String(Arrays.copyOf(utf8, Math.min(utf8.length, max)), StandardCharsets.UTF_8)
        + "...";
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
