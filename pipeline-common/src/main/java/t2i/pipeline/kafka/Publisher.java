package t2i.pipeline.kafka;

import com.google.protobuf.MessageLite;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import t2i.pipeline.telemetry.JobTraces;

/**
 * Sends protobuf values keyed by job id. Thread-safe. Does not own the producer or the executor:
 * the service that created them closes them after every user of this publisher has stopped.
 *
 * <p>The returned futures complete on {@code completions}, never on the producer's I/O thread: a
 * continuation that sends again would otherwise block that thread waiting for topic metadata that
 * only that thread can fetch, and stall every send of the process.
 *
 * <p>Each record carries the trace context of the work on its job ({@link JobTraces}), so that a
 * job is one trace across every hop.
 */
public final class Publisher {

  private final Producer<String, byte[]> producer;
  private final Executor completions;
  private final JobTraces traces;

  public Publisher(Producer<String, byte[]> producer, Executor completions) {
    this(producer, completions, JobTraces.none());
  }

  public Publisher(Producer<String, byte[]> producer, Executor completions, JobTraces traces) {
    this.producer = producer;
    this.completions = completions;
    this.traces = traces;
  }

  /** Completes when the brokers have acknowledged the record, or fails with why they did not. */
  public CompletableFuture<RecordMetadata> send(String topic, String key, MessageLite value) {
    return send(topic, key, value.toByteArray());
  }

  public CompletableFuture<RecordMetadata> send(String topic, String key, byte[] value) {
    CompletableFuture<RecordMetadata> acked = new CompletableFuture<>();
    RecordHeaders headers = new RecordHeaders();
    traces.inject(key, headers);
    try {
      // The callback completes acked with the same outcome as this future, off the producer's
      // thread.
      Future<RecordMetadata> unused =
          producer.send(
              new ProducerRecord<>(topic, null, key, value, headers),
              (metadata, error) ->
                  completions.execute(
                      () -> {
                        if (error != null) {
                          acked.completeExceptionally(error);
                        } else {
                          acked.complete(metadata);
                        }
                      }));
    } catch (RuntimeException e) {
      // send() throws directly for, e.g., a record over max.request.size or a closed producer.
      acked.completeExceptionally(e);
    }
    return acked;
  }
}
