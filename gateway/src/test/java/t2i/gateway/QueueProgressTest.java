package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class QueueProgressTest {

  private static final String TOPIC = "t2i.encoded";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

  private static QueueProgress progress(Duration minBusy, Duration recentBusy) {
    return new QueueProgress(1_000, minBusy, recentBusy);
  }

  /** Measures both partitions at once: where the stage stands in each and where its log ends. */
  private static void measure(
      QueueProgress progress, long atMillis, long next0, long end0, long next1, long end1) {
    progress.record(
        TOPIC,
        List.of(
            new QueueProgress.Sample(P0, next0, end0), new QueueProgress.Sample(P1, next1, end1)),
        atMillis);
  }

  @Test
  void aPartitionNeverMeasured_hasNoOffsetAndNoRate() {
    QueueProgress progress = progress(Duration.ofMillis(1), Duration.ofSeconds(30));

    assertThat(progress.next(P0)).isEmpty();
    assertThat(progress.waiting(P0)).isZero();
    assertThat(progress.perSecond(TOPIC)).isEmpty();
  }

  @Test
  void theRate_isWhatTheStageTookUpFromAllItsPartitions_whileRecordsWaited() {
    QueueProgress progress = progress(Duration.ofMillis(1), Duration.ofSeconds(30));
    measure(progress, 0, 100, 150, 5, 9);
    assertThat(progress.perSecond(TOPIC)).as("one measurement is no rate yet").isEmpty();
    measure(progress, 1_000, 110, 150, 5, 9);
    measure(progress, 2_000, 120, 150, 5, 9); // one partition at a time, as consumers take them

    assertThat(progress.next(P0)).hasValue(120);
    assertThat(progress.waiting(P0)).isEqualTo(30);
    assertThat(progress.waiting(P1)).isEqualTo(4);
    assertThat(progress.perSecond(TOPIC)).hasValue(10.0);
  }

  @Test
  void idleTime_doesNotCount_soAStageThatWasIdleIsNotTakenForASlowOne() {
    QueueProgress progress = progress(Duration.ofMillis(1), Duration.ofSeconds(30));
    for (long t = 0; t <= 20_000; t += 1_000) {
      measure(progress, t, 100, 100, 7, 7); // nothing to do for 20 s
    }
    assertThat(progress.perSecond(TOPIC)).as("never busy: no rate").isEmpty();
    measure(progress, 21_000, 100, 140, 7, 7); // a burst arrives
    measure(progress, 22_000, 120, 140, 7, 7);

    assertThat(progress.perSecond(TOPIC)).hasValue(20.0);
  }

  @Test
  void workBeforeAnIdleSpell_isForgotten_soAnotherKindOfJobDoesNotMisleadTheRate() {
    QueueProgress progress = progress(Duration.ofSeconds(2), Duration.ofSeconds(10));
    for (long t = 0; t <= 5_000; t += 1_000) {
      measure(progress, t, t / 1_000, 100, 0, 0); // a slow run: one a second
    }
    measure(progress, 6_000, 100, 100, 0, 0); // drained
    measure(progress, 7_000, 100, 200, 0, 0); // the next run begins
    measure(progress, 8_000, 110, 200, 0, 0);
    assertThat(progress.perSecond(TOPIC)).as("1 s of the new run").isEmpty();

    measure(progress, 9_000, 120, 200, 0, 0);
    assertThat(progress.perSecond(TOPIC)).hasValue(10.0);
  }

  @Test
  void nothingWaiting_meansNoRate() {
    QueueProgress progress = progress(Duration.ofMillis(1), Duration.ofSeconds(30));
    measure(progress, 0, 0, 10, 0, 10);
    measure(progress, 1_000, 10, 10, 10, 10);

    assertThat(progress.perSecond(TOPIC)).isEmpty();
  }

  @Test
  void aRateCounts_onlyOnceTheRunHasLastedTheLeastBusyTime() {
    QueueProgress progress = progress(Duration.ofSeconds(3), Duration.ofSeconds(30));
    measure(progress, 0, 0, 50, 0, 50);
    measure(progress, 1_000, 1, 50, 0, 50);
    measure(progress, 2_000, 9, 50, 0, 50);
    assertThat(progress.perSecond(TOPIC)).as("2 s of work").isEmpty();

    measure(progress, 3_000, 9, 50, 3, 50);
    assertThat(progress.perSecond(TOPIC)).hasValue(4.0);
  }

  @Test
  void aStageThatSpeedsUp_isMeasuredAtItsNewPace_onceTheRecentBusyTimeHasPassed() {
    QueueProgress progress = progress(Duration.ofSeconds(3), Duration.ofSeconds(10));
    for (long t = 0; t <= 10_000; t += 1_000) {
      measure(progress, t, t / 1_000, 1_000, 0, 0); // warming up: one a second
    }
    for (long t = 11_000; t <= 20_000; t += 1_000) {
      measure(progress, t, 10 + 5 * (t - 10_000) / 1_000, 1_000, 0, 0); // warm: five a second
    }

    assertThat(progress.perSecond(TOPIC).orElseThrow()).isCloseTo(5.0, offset(0.01));
  }

  @Test
  void aPartitionSeenForTheFirstTime_addsNothingTakenUp() {
    QueueProgress progress = progress(Duration.ofMillis(1), Duration.ofSeconds(30));
    progress.record(TOPIC, List.of(new QueueProgress.Sample(P0, 0, 10)), 0);
    measure(progress, 1_000, 2, 10, 5_000, 5_010); // P1 appears, far along its log

    assertThat(progress.perSecond(TOPIC)).hasValue(2.0);
  }

  @Test
  void aTopicKeepsAtMostItsBoundOfIntervals() {
    QueueProgress progress = new QueueProgress(2, Duration.ofMillis(1), Duration.ofDays(1));
    measure(progress, 0, 0, 500, 0, 0);
    measure(progress, 1_000, 100, 500, 0, 0);
    measure(progress, 2_000, 101, 500, 0, 0);
    measure(progress, 3_000, 102, 500, 0, 0);

    assertThat(progress.perSecond(TOPIC)).as("only the last two intervals count").hasValue(1.0);
  }

  @Test
  void aRecordsPlace_countsTheSameShareOfEveryPartitionAhead_asTheStageTakesThemSideBySide() {
    QueueProgress progress = progress(Duration.ofMillis(1), Duration.ofSeconds(30));
    measure(progress, 0, 100, 120, 0, 40);

    // 5 behind the next in its own partition, where 20 wait: a share of 6/20 of the 40 in P1.
    assertThat(progress.placeOf(P0, 105, List.of(P0, P1), 0).orElseThrow().recordsAhead())
        .isEqualTo(5 + 12);
    assertThat(progress.placeOf(P0, 100, List.of(P0, P1), 0).orElseThrow().recordsAhead())
        .as("next in its partition, a twentieth of the other's")
        .isEqualTo(2);
  }

  @Test
  void aRecordsStart_countsFromWhenTheQueueWasMeasured_soWorkDoneSinceIsNotWaitedForTwice() {
    QueueProgress progress = progress(Duration.ofSeconds(1), Duration.ofSeconds(30));
    measure(progress, 0, 0, 100, 0, 0);
    measure(progress, 1_000, 10, 100, 0, 0); // ten a second
    measure(progress, 2_000, 20, 100, 0, 0);

    QueueProgress.Place place = progress.placeOf(P0, 49, List.of(P0, P1), 2_600).orElseThrow();
    assertThat(place.recordsAhead()).as("as measured at 2 s").isEqualTo(29);
    assertThat(place.startMillis()).hasValue(2_000 + 2_900);
  }

  @Test
  void aStartAlreadyDue_forARecordStillWaiting_isNow() {
    QueueProgress progress = progress(Duration.ofSeconds(1), Duration.ofSeconds(30));
    measure(progress, 0, 0, 100, 0, 0);
    measure(progress, 1_000, 10, 100, 0, 0);

    assertThat(progress.placeOf(P0, 14, List.of(P0, P1), 1_900).orElseThrow().startMillis())
        .as("due at 1.4 s")
        .hasValue(1_900);
  }

  @Test
  void aRecordNextInLine_startsNow_evenBeforeTheStageHasARate() {
    QueueProgress progress = progress(Duration.ofSeconds(3), Duration.ofSeconds(30));
    measure(progress, 0, 7, 9, 0, 0);

    assertThat(progress.placeOf(P0, 7, List.of(P0, P1), 500))
        .hasValue(new QueueProgress.Place(0, OptionalLong.of(500)));
    assertThat(progress.placeOf(P0, 8, List.of(P0, P1), 500))
        .as("one ahead and no rate yet: no start")
        .hasValue(new QueueProgress.Place(1, OptionalLong.empty()));
    assertThat(progress.placeOf(new TopicPartition(TOPIC, 9), 0, List.of(P0, P1), 500))
        .as("a partition never measured")
        .isEmpty();
  }

  @Test
  void aRecentBusyTimeShorterThanTheLeastBusyTime_isRefused() {
    assertThatThrownBy(() -> progress(Duration.ofSeconds(3), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("recentBusy");
  }
}
