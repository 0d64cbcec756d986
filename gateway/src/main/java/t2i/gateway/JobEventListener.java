package t2i.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;
import t2i.pipeline.kafka.BroadcastListener;
import t2i.pipeline.v1.JobEvent;

/**
 * Feeds this replica's watchers from the job-events topic: every replica reads every event (any
 * replica may hold a job's stream), from the end of the topic on; watchers catch up from the job
 * records for anything earlier, and every {@code reconcileEvery}.
 */
final class JobEventListener {

  private static final Logger LOG = Logger.getLogger(JobEventListener.class);

  private JobEventListener() {}

  /** A listener that owns {@code consumer}; run it on its own thread after {@code assignAll}. */
  static BroadcastListener create(
      Consumer<String, byte[]> consumer,
      String topic,
      JobWatchers watchers,
      Duration reconcileEvery) {
    return new BroadcastListener(
        consumer,
        topic,
        record -> dispatch(record, watchers),
        watchers::reconcileAll,
        reconcileEvery);
  }

  private static void dispatch(ConsumerRecord<String, byte[]> record, JobWatchers watchers) {
    JobEvent event;
    try {
      event = JobEvent.parseFrom(record.value());
    } catch (InvalidProtocolBufferException e) {
      LOG.warnf(
          "Skipping an undecodable job event at %s-%d offset %d",
          record.topic(), record.partition(), record.offset());
      return;
    }
    watchers.dispatch(event);
  }
}
