package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DependencyHealthTest {

  private final AtomicBoolean redis = new AtomicBoolean(true);
  private final AtomicBoolean kafka = new AtomicBoolean(true);
  private final AtomicBoolean listener = new AtomicBoolean(true);
  private final List<Boolean> verdicts = new CopyOnWriteArrayList<>();
  private final DependencyHealth health =
      new DependencyHealth(
          redis::get, kafka::get, listener::get, verdicts::add, Duration.ofMinutes(1));

  @AfterEach
  void close() {
    health.close();
  }

  @Test
  void servesOnlyWhileRedisAndKafkaBothAnswer() {
    health.check();
    redis.set(false);
    health.check();
    redis.set(true);
    kafka.set(false);
    health.check();
    kafka.set(true);
    health.check();

    assertThat(verdicts).containsExactly(true, false, false, true);
  }

  @Test
  void aDeadEventListener_stopsServing_becauseNoStreamWouldEverEnd() {
    health.check();
    listener.set(false);
    health.check();

    assertThat(verdicts).containsExactly(true, false);
  }

  @Test
  void aProbeThatThrows_countsAsDown() {
    DependencyHealth failing =
        new DependencyHealth(
            () -> {
              throw new IllegalStateException("connection refused");
            },
            kafka::get,
            listener::get,
            verdicts::add,
            Duration.ofMinutes(1));
    try {
      failing.check();
    } finally {
      failing.close();
    }

    assertThat(verdicts).containsExactly(false);
  }
}
