package t2i.pipeline;

import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.TopicSetup;

/** Creates the topics a test writes to: the test broker creates none by itself. */
public final class TestTopics {

  private TestTopics() {}

  public static void create(KafkaEndpoint endpoint, String... topics) {
    try (Admin admin = KafkaClients.admin(endpoint, "test-topics")) {
      TopicSetup.ensureTopics(admin, List.of(topics), "", 1, (short) 1);
    }
  }
}
