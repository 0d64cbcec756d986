package t2i.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.local.LocalKafka;

class KafkaHopProbeTest {

  private static LocalKafka kafka;

  @BeforeAll
  static void startKafka() {
    kafka = LocalKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  @Test
  void everyRecordSent_isTimedOnceFromSendToConsumer_andTheProbeTopicIsDeleted() throws Exception {
    long start = System.nanoTime();
    Histogram hops = KafkaHopProbe.measure(kafka.bootstrapServers(), 20, Duration.ofSeconds(1));
    long elapsedMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);

    assertThat(hops.getTotalCount()).isEqualTo(20);
    assertThat(hops.getMinValue()).isPositive();
    assertThat(hops.getMaxValue()).isLessThan(elapsedMicros);
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
          .noneMatch(name -> name.startsWith("t2i.bench.kafka-hop-"));
    }
    assertThat(KafkaHopProbe.render(hops, 20))
        .contains("20 records at 20.0/s")
        .containsPattern("produce->consume\\s+p50 +\\d+\\.\\d ms");
  }

  @Test
  void rateOfZero_isRefusedSayingWhatToGive() {
    assertThatThrownBy(
            () -> KafkaHopProbe.measure(kafka.bootstrapServers(), 0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rate above 0");
  }
}
