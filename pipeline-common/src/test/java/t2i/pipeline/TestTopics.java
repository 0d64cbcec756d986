package t2i.pipeline;

import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;

/** Creates the topics a test writes to: the test broker creates none by itself. */
public final class TestTopics {

  private TestTopics() {}

  public static void create(KafkaEndpoint endpoint, String... topics) {
    try (Admin admin = KafkaClients.admin(endpoint, "test-topics")) {
      admin
          .createTopics(Arrays.stream(topics).map(t -> new NewTopic(t, 1, (short) 1)).toList())
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException(
            "could not create test topics " + Arrays.toString(topics), e);
      }
    } catch (TimeoutException e) {
      throw new IllegalStateException("could not create test topics " + Arrays.toString(topics), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted creating test topics", e);
    }
  }
}
