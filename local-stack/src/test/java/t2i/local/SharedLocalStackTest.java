package t2i.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

class SharedLocalStackTest {

  @Test
  void get_returnsTheSameRunningStackEveryTime() throws Exception {
    StackEndpoints first = SharedLocalStack.get();

    assertThat(SharedLocalStack.get()).isEqualTo(first);
    assertThat(KafkaClients.topics(first.kafkaBootstrapServers())).isNotNull();
    try (Jedis jedis = new Jedis(URI.create(first.redisUrl()))) {
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void aCopyOfTheClassInAnotherClassLoader_sharesTheJvmStack() throws Exception {
    try (URLClassLoader isolated = new URLClassLoader(classPath(), null)) {
      Class<?> copy = Class.forName(SharedLocalStack.class.getName(), true, isolated);
      assertThat(copy).isNotSameAs(SharedLocalStack.class);

      Object endpoints = copy.getMethod("get").invoke(null);
      @SuppressWarnings("unchecked")
      Map<String, String> config =
          (Map<String, String>) endpoints.getClass().getMethod("serviceConfig").invoke(endpoints);

      assertThat(config).isEqualTo(SharedLocalStack.get().serviceConfig());
    }
  }

  @Test
  void testResource_suppliesTheServiceConfig_andStopLeavesTheStackRunning() throws Exception {
    LocalStackTestResource resource = new LocalStackTestResource();

    Map<String, String> config = resource.start();
    resource.stop();

    assertThat(config).isEqualTo(SharedLocalStack.get().serviceConfig());
    try (Jedis jedis = new Jedis(URI.create(config.get(StackEndpoints.REDIS_URL_KEY)))) {
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
    assertThat(
            KafkaClients.topics(
                Objects.requireNonNull(config.get(StackEndpoints.KAFKA_BOOTSTRAP_SERVERS_KEY))))
        .isNotNull();
  }

  /** This JVM's class path, as URLs; a manifest-only jar lists the rest in its manifest. */
  private static URL[] classPath() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
      urls.add(new File(entry).toURI().toURL());
    }
    return urls.toArray(URL[]::new);
  }
}
