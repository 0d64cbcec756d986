package t2i.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RenewedLeasesTest {

  private static final Duration RENEWAL = Duration.ofSeconds(60);

  private final AtomicLong nanos = new AtomicLong();
  private final RenewedLeases leases = new RenewedLeases(100, RENEWAL, nanos::get);

  private void advance(Duration by) {
    nanos.addAndGet(by.toNanos());
  }

  @Test
  void keysRenewedWithinTheInterval_areRemembered() {
    leases.renewed("prompt");
    leases.renewed("negative");
    advance(RENEWAL.minusSeconds(1));

    assertThat(leases.allRenewedLately(List.of("prompt", "negative"))).isTrue();
  }

  @Test
  void oneKeyNeverRenewed_sendsTheLookUpToRedis() {
    leases.renewed("prompt");

    assertThat(leases.allRenewedLately(List.of("prompt", "negative"))).isFalse();
  }

  @Test
  void renewalOlderThanTheInterval_isNoLongerTrusted() {
    leases.renewed("prompt");
    advance(RENEWAL);

    assertThat(leases.allRenewedLately(List.of("prompt"))).isFalse();
  }

  @Test
  void renewingAgain_restartsTheInterval() {
    leases.renewed("prompt");
    advance(RENEWAL.minusSeconds(10));
    leases.renewed("prompt");
    advance(RENEWAL.minusSeconds(10));

    assertThat(leases.allRenewedLately(List.of("prompt"))).isTrue();
  }

  @Test
  void forgottenKey_isAskedOfRedisAgain() {
    leases.renewed("prompt");
    leases.forget("prompt");

    assertThat(leases.allRenewedLately(List.of("prompt"))).isFalse();
  }

  @Test
  void memory_holdsAtMostMaxKeys() {
    for (int i = 0; i < 1000; i++) {
      leases.renewed("prompt-" + i);
    }

    assertThat(leases.size()).isLessThanOrEqualTo(100);
  }

  @Test
  void noKeysOrNoInterval_remembersNothing() {
    RenewedLeases noKeys = new RenewedLeases(0, RENEWAL, nanos::get);
    RenewedLeases noInterval = new RenewedLeases(100, Duration.ZERO, nanos::get);
    noKeys.renewed("prompt");
    noInterval.renewed("prompt");

    assertThat(noKeys.allRenewedLately(List.of("prompt"))).isFalse();
    assertThat(noInterval.allRenewedLately(List.of("prompt"))).isFalse();
  }

  @Test
  void negativeSettings_areRefused() {
    assertThatThrownBy(() -> new RenewedLeases(-1, RENEWAL, nanos::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }
}
