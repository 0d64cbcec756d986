package t2i.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKafkaLifecycleTest {

  @Test
  void close_releasesThePortAndDeletesTheOwnedDataDir_andANewBrokerStartsAfterwards()
      throws Exception {
    LocalKafka first = LocalKafka.start();
    int port = Ports.of(first.bootstrapServers());
    Path dataDir = first.dataDir();

    first.close();

    assertThat(dataDir).doesNotExist();
    assertThat(Ports.isFree(port)).isTrue();
    try (LocalKafka second = LocalKafka.start()) {
      assertThat(KafkaClients.topics(second.bootstrapServers())).isEmpty();
    }
  }

  @Test
  void callerOwnedDataDir_isKeptOnClose_andARestartFindsItsTopics(@TempDir Path dataDir)
      throws Exception {
    try (LocalKafka kafka = LocalKafka.start(dataDir)) {
      KafkaClients.createTopic(kafka.bootstrapServers(), "kept", 2);
    }
    assertThat(dataDir.resolve("meta.properties")).exists();

    try (LocalKafka restarted = LocalKafka.start(dataDir)) {
      assertThat(KafkaClients.topics(restarted.bootstrapServers())).contains("kept");
    }
    assertThat(Files.isDirectory(dataDir)).isTrue();
  }

  @Test
  void close_twice_isHarmless() {
    LocalKafka kafka = LocalKafka.start();
    kafka.close();
    kafka.close();
    assertThat(kafka.dataDir()).doesNotExist();
  }

  @Test
  void settings_rejectValuesThatCannotWork() {
    assertThatThrownBy(() -> LocalKafka.Settings.DEFAULTS.withNumPartitions(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("numPartitions");
    assertThatThrownBy(() -> LocalKafka.Settings.DEFAULTS.withStartupTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("startupTimeout");
  }
}
