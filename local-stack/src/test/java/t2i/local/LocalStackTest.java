package t2i.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

class LocalStackTest {

  @Test
  void serviceConfig_pointsServicesAtTheRunningKafkaAndRedis() throws Exception {
    try (LocalStack stack = LocalStack.start()) {
      assertThat(stack.serviceConfig())
          .containsOnly(
              entry("t2i.kafka.bootstrap-servers", stack.kafkaBootstrapServers()),
              entry("t2i.redis.url", stack.redisUrl()));
      KafkaClients.createTopic(stack.kafkaBootstrapServers(), "stack-topic", 1);
      assertThat(KafkaClients.topics(stack.kafkaBootstrapServers())).contains("stack-topic");
      try (Jedis jedis = new Jedis(URI.create(stack.redisUrl()))) {
        assertThat(jedis.ping()).isEqualTo("PONG");
      }
    }
  }

  @Test
  void close_stopsBothServersAndDeletesTheDirectory_andANewStackStartsAfterwards()
      throws Exception {
    LocalStack first = LocalStack.start();
    Path directory = first.directory();
    int kafkaPort = Ports.of(first.kafkaBootstrapServers());
    int redisPort = Ports.of(first.redisUrl());

    first.close();

    assertThat(directory).doesNotExist();
    assertThat(Ports.isFree(kafkaPort)).isTrue();
    assertThat(Ports.isFree(redisPort)).isTrue();
    try (LocalStack second = LocalStack.start()) {
      assertThat(KafkaClients.topics(second.kafkaBootstrapServers())).isEmpty();
    }
  }
}
