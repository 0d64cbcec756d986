package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.time.Duration;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionRatesTest {

  private static final TopicPartition P0 = new TopicPartition("t2i.encoded", 0);
  private static final TopicPartition P1 = new TopicPartition("t2i.encoded", 1);

  @Test
  void aPartitionNeverMeasured_hasNoOffsetAndNoRate() {
    PartitionRates rates =
        new PartitionRates(
            Duration.ofSeconds(30), 100, Duration.ofMillis(1), Duration.ofSeconds(30));

    assertThat(rates.next(P0)).isEmpty();
    assertThat(rates.perSecond(P0)).isEmpty();
  }

  @Test
  void theRate_isHowFarTheStageTookUpRecords_whileRecordsWaited() {
    PartitionRates rates =
        new PartitionRates(
            Duration.ofSeconds(30), 100, Duration.ofMillis(1), Duration.ofSeconds(30));
    rates.record(P0, 100, 150, 0);
    assertThat(rates.perSecond(P0)).as("one measurement is no rate yet").isEmpty();
    rates.record(P0, 110, 150, 1_000);
    rates.record(P0, 120, 150, 2_000);
    rates.record(P1, 5, 9, 0);
    rates.record(P1, 5, 9, 2_000);

    assertThat(rates.next(P0)).hasValue(120);
    assertThat(rates.waiting(P0)).isEqualTo(30);
    assertThat(rates.perSecond(P0)).hasValue(10.0);
    assertThat(rates.perSecond(P1)).as("stuck with work waiting").hasValue(0.0);
  }

  @Test
  void idleTime_doesNotCount_soAStageThatWasIdleIsNotTakenForASlowOne() {
    PartitionRates rates =
        new PartitionRates(
            Duration.ofSeconds(30), 100, Duration.ofMillis(1), Duration.ofSeconds(30));
    for (long t = 0; t <= 20_000; t += 1_000) {
      rates.record(P0, 100, 100, t); // nothing to do for 20 s
    }
    assertThat(rates.perSecond(P0)).as("never busy: no rate").isEmpty();
    rates.record(P0, 100, 140, 21_000); // a burst arrives
    rates.record(P0, 120, 140, 22_000);

    assertThat(rates.perSecond(P0)).hasValue(20.0);
  }

  @Test
  void measurementsOlderThanTheWindow_areForgotten_soTheRateFollowsTheRecentPace() {
    PartitionRates rates =
        new PartitionRates(
            Duration.ofSeconds(10), 100, Duration.ofMillis(1), Duration.ofSeconds(10));
    rates.record(P0, 0, 5_000, 0);
    rates.record(P0, 1_000, 5_000, 1_000); // a fast burst long ago
    for (long t = 2_000; t <= 40_000; t += 1_000) {
      rates.record(P0, 1_000 + (t - 1_000) / 1_000, 5_000, t); // then one a second
    }

    assertThat(rates.perSecond(P0).orElseThrow()).isCloseTo(1.0, offset(0.01));
  }

  @Test
  void aPartitionKeepsAtMostItsBoundOfMeasurements() {
    PartitionRates rates =
        new PartitionRates(Duration.ofDays(1), 3, Duration.ofMillis(1), Duration.ofDays(1));
    rates.record(P0, 0, 500, 0);
    rates.record(P0, 100, 500, 1_000);
    rates.record(P0, 101, 500, 2_000);
    rates.record(P0, 102, 500, 3_000);

    assertThat(rates.perSecond(P0)).as("only the last three count").hasValue(1.0);
  }

  @Test
  void aRateCounts_onlyOnceThePartitionHasHadWorkForTheLeastBusyTime() {
    PartitionRates rates =
        new PartitionRates(
            Duration.ofSeconds(30), 100, Duration.ofSeconds(3), Duration.ofSeconds(30));
    rates.record(P0, 0, 50, 0);
    rates.record(P0, 1, 50, 1_000);
    rates.record(P0, 9, 50, 2_000);
    assertThat(rates.perSecond(P0)).as("2 s of work").isEmpty();

    rates.record(P0, 12, 50, 3_000);
    assertThat(rates.perSecond(P0)).hasValue(4.0);
  }

  @Test
  void aStageThatSpeedsUp_isMeasuredAtItsNewPace_onceTheRecentBusyTimeHasPassed() {
    PartitionRates rates =
        new PartitionRates(
            Duration.ofSeconds(30), 100, Duration.ofSeconds(3), Duration.ofSeconds(10));
    for (long t = 0; t <= 10_000; t += 1_000) {
      rates.record(P0, t / 1_000, 1_000, t); // warming up: one a second
    }
    for (long t = 11_000; t <= 20_000; t += 1_000) {
      rates.record(P0, 10 + 5 * (t - 10_000) / 1_000, 1_000, t); // warm: five a second
    }
    assertThat(rates.perSecond(P0).orElseThrow()).isCloseTo(5.0, offset(0.01));
  }

  @Test
  void theRecentBusyTime_skipsIdleSpells_andReachesBackToEarlierWork() {
    PartitionRates rates =
        new PartitionRates(
            Duration.ofSeconds(60), 100, Duration.ofSeconds(3), Duration.ofSeconds(4));
    rates.record(P0, 0, 100, 0);
    rates.record(P0, 4, 100, 1_000);
    rates.record(P0, 8, 100, 2_000);
    rates.record(P0, 100, 100, 3_000); // drained: idle from here
    rates.record(P0, 100, 100, 20_000);
    rates.record(P0, 100, 110, 21_000); // more work arrives
    rates.record(P0, 102, 110, 22_000);

    // The newest 4 s of busy time: 21-22 s (2 taken up), 2-3 s (92), 1-2 s (4) and 0-1 s (4).
    assertThat(rates.perSecond(P0).orElseThrow()).isCloseTo(102.0 / 4, offset(0.01));
  }

  @Test
  void aRecentBusyTimeShorterThanTheLeastBusyTime_isRefused() {
    assertThatThrownBy(
            () ->
                new PartitionRates(
                    Duration.ofSeconds(30), 100, Duration.ofSeconds(3), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("recentBusy");
  }
}
