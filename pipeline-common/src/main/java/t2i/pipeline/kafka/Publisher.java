package t2i.pipeline.kafka;

import com.google.protobuf.MessageLite;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends protobuf values keyed by job id. Thread-safe. Does not own the producer: the service that
 * created it closes it after every user of this publisher has stopped.
 */
public final class Publisher {

  private final Producer<String, byte[]> producer;

  public Publisher(Producer<String, byte[]> producer) {
    this.producer = producer;
  }

  /** Completes when the brokers have acknowledged the record, or fails with why they did not. */
  public CompletableFuture<RecordMetadata> send(String topic, String key, MessageLite value) {
    return send(topic, key, value.toByteArray());
  }

  public CompletableFuture<RecordMetadata> send(String topic, String key, byte[] value) {
    CompletableFuture<RecordMetadata> acked = new CompletableFuture<>();
    try {
      producer.send(
          new ProducerRecord<>(topic, key, value),
          (metadata, error) -> {
            if (error != null) {
              acked.completeExceptionally(error);
            } else {
              acked.complete(metadata);
            }
          });
    } catch (RuntimeException e) {
      // send() throws directly for, e.g., a record over max.request.size or a closed producer.
      acked.completeExceptionally(e);
    }
    return acked;
  }
}
