package t2i.pipeline.kafka;

import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where a record goes when a stage gives up on it: a record that cannot be decoded, or one whose
 * handling kept failing. Completes once the record is safely parked (dead-letter topic) and the
 * job's owner has been told; only then is the record's offset committed.
 */
@FunctionalInterface
public interface RecordFailureSink {

  CompletionStage<?> giveUp(ConsumerRecord<String, byte[]> record, Throwable cause);
}
