package t2i.pipeline.kafka;

import com.google.protobuf.ByteString;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.v1.DeadLetter;
import t2i.v1.JobState;

/**
 * Parks a record the stage gave up on in the dead-letter topic (with the error, for an operator to
 * inspect and replay), then ends its job as FAILED so the client is not left waiting.
 */
public final class DeadLetterSink implements RecordFailureSink {

  private final Publisher publisher;
  private final String deadLetterTopic;
  private final JobTracker tracker;
  private final String stage;
  private final InstantSource clock;

  public DeadLetterSink(
      Publisher publisher,
      String deadLetterTopic,
      JobTracker tracker,
      String stage,
      InstantSource clock) {
    this.publisher = publisher;
    this.deadLetterTopic = deadLetterTopic;
    this.tracker = tracker;
    this.stage = stage;
    this.clock = clock;
  }

  @Override
  public CompletionStage<?> giveUp(ConsumerRecord<String, byte[]> record, Throwable cause) {
    DeadLetter.Builder letter =
        DeadLetter.newBuilder()
            .setSourceTopic(record.topic())
            .setPartition(record.partition())
            .setOffset(record.offset())
            .setError(String.valueOf(cause))
            .setAtUnixMs(clock.millis());
    if (record.key() != null) {
      letter.setKey(ByteString.copyFromUtf8(record.key()));
    }
    if (record.value() != null) {
      letter.setValue(ByteString.copyFrom(record.value()));
    }
    String key = record.key() == null ? "" : record.key();
    CompletableFuture<?> parked = publisher.send(deadLetterTopic, key, letter.build());
    if (record.key() == null) {
      return parked;
    }
    return parked.thenCompose(
        ignored ->
            tracker.finish(
                record.key(),
                JobState.FAILED,
                "Internal error in the "
                    + stage
                    + "; the job was set aside for an operator. Submitting it again may succeed."));
  }
}
