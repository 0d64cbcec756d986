package t2i.pipeline.stage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jboss.logging.Logger;

/**
 * Creates the pipeline's topics when they are missing, so a fresh cluster works without manual
 * steps. Existing topics are left exactly as they are.
 */
final class TopicSetup {

  private static final Logger LOG = Logger.getLogger(TopicSetup.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Job events only matter while someone may be watching; results live in Redis. */
  private static final String EVENTS_RETENTION_MS = String.valueOf(Duration.ofHours(6).toMillis());

  private TopicSetup() {}

  /**
   * Ensures every topic exists.
   *
   * @param eventsTopic the topic whose records expire quickly (progress events)
   */
  public static void ensureTopics(
      Admin admin,
      List<String> topics,
      String eventsTopic,
      int partitions,
      short replicationFactor) {
    try {
      Set<String> existing =
          admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String topic : topics) {
        if (!existing.contains(topic)) {
          NewTopic newTopic = new NewTopic(topic, partitions, replicationFactor);
          if (topic.equals(eventsTopic)) {
            newTopic.configs(Map.of("retention.ms", EVENTS_RETENTION_MS));
          }
          missing.add(newTopic);
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      LOG.infof("Creating topics %s", missing.stream().map(NewTopic::name).toList());
      try {
        admin.createTopics(missing).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        // Another service created the same topic at the same moment: that is fine.
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating Kafka topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Could not list or create the Kafka topics "
              + topics
              + ": check t2i.kafka.bootstrap-servers and that the brokers are reachable",
          e);
    }
  }
}
