package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import t2i.pipeline.kafka.BroadcastListener;
import t2i.pipeline.v1.JobEvent;

/** The gateway's event listener outlives Kafka's failures: its streams depend on it. */
class JobEventListenerTest {

  private static final String TOPIC = "t2i.events";
  private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("latest");
  private final JobWatchers watchers = new JobWatchers(10, Duration.ofSeconds(1));
  private final List<JobEvent> delivered = new CopyOnWriteArrayList<>();

  // Set by startListening(), which every test calls first.
  @SuppressWarnings("NullAway.Init")
  private Thread thread;

  @SuppressWarnings("NullAway.Init")
  private BroadcastListener listener;

  @AfterEach
  void stop() throws InterruptedException {
    listener.close();
    thread.join(10_000);
  }

  private void startListening() {
    consumer.updatePartitions(
        TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
    consumer.updateEndOffsets(Map.of(PARTITION, 0L));
    watchers.add(
        new JobWatcher() {
          @Override
          public String jobId() {
            return "job-1";
          }

          @Override
          public boolean isDone() {
            return false;
          }

          @Override
          public void onEvent(JobEvent event) {
            delivered.add(event);
          }

          @Override
          public void reconcile() {}
        });
    listener = JobEventListener.create(consumer, TOPIC, watchers, Duration.ofMinutes(1));
    listener.assignAll();
    thread = Thread.ofPlatform().name("listener-under-test").start(listener);
  }

  private void publish(long offset) {
    JobEvent event = JobEvent.newBuilder().setJobId("job-1").setAtUnixMs(offset).build();
    consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, offset, "job-1", event.toByteArray()));
  }

  @Test
  void aFailedPoll_isWaitedOut_andLaterEventsStillArrive() {
    startListening();
    consumer.schedulePollTask(() -> consumer.setPollException(new TimeoutException("no broker")));
    consumer.schedulePollTask(() -> publish(0));

    await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 1);
    assertThat(thread.isAlive()).isTrue();
  }
}
