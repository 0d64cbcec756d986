package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import t2i.client.Channels;
import t2i.launcher.LocalCluster;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.QueuePosition;
import t2i.v1.StateTransition;
import t2i.v1.TextToImageGrpc;

/**
 * A burst of jobs queues up before the one diffusion worker: while they wait, GetJob says how many
 * jobs are ahead of each and when the worker should take it up. The estimates are compared with the
 * times the worker did take each job up, and the error is written to {@code
 * system-tests/target/queue-estimate.md}, each sighting to {@code queue-estimate-sightings.csv}.
 *
 * <p>An estimate assumes the stage keeps the pace it has had over the gateway's rate window (its
 * newest 5 s of work). On a small machine the burst's own submission slows the worker (the gateway,
 * tokenizer and encoder take the CPUs), which then speeds up once the last job is in: for a
 * window's length the estimates still follow the slower pace. The test holds the estimate to being
 * closer than "it starts now" once that window has passed, and reports every sighting too.
 */
@ExtendWith(SharedCluster.class)
class QueueEstimateTest {

  private static final int JOBS = 96;

  /** The gateway's rate window: how long after the last submission the pace it measures holds. */
  private static final Duration SETTLED_AFTER = Duration.ofSeconds(5);

  private static final Duration POLL = Duration.ofMillis(250);

  /**
   * How long after the last job reached the diffusion worker's queue the gateway's figures surely
   * count it: the gateway measures the queues once a second ({@code
   * t2i.gateway.admission.refresh-interval}), and a measurement begun just before the last jobs
   * arrived stays in use until the next one is done.
   */
  private static final Duration MEASURED_WITHIN = Duration.ofSeconds(3);

  private static ManagedChannel channel;

  /**
   * One reading of a waiting job's place; {@code queueWhole} when, in that round of readings and
   * for {@link #MEASURED_WITHIN} before it, no job was still on its way to the diffusion worker's
   * queue.
   */
  private record Sighting(
      long atMillis, long jobsAhead, Optional<Long> estimatedStartMillis, boolean queueWhole) {}

  @BeforeAll
  static void connect(LocalCluster cluster) {
    channel = Channels.open(cluster.gatewayAddress());
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static TextToImageGrpc.TextToImageBlockingStub stub() {
    return TextToImageGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static long millis(com.google.protobuf.Timestamp at) {
    return at.getSeconds() * 1000 + at.getNanos() / 1_000_000;
  }

  @Test
  void waitingJobs_reportTheJobsAheadAndAStartEstimate_closerThanGuessingNow() throws Exception {
    List<String> jobIds = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      GenerateRequest request =
          GenerateRequest.newBuilder()
              .setPrompt("a blue circle in the middle on a white background")
              .setModel("shapes")
              .setWidth(64)
              .setHeight(64)
              .setSteps(25)
              .setSeed(i)
              .build();
      jobIds.add(stub().submit(request).getJobId());
    }
    long settledAt = System.currentTimeMillis() + SETTLED_AFTER.toMillis();

    Map<String, List<Sighting>> sightings = new ConcurrentHashMap<>();
    Map<String, Job> ended = new ConcurrentHashMap<>();
    QueueFormation formation = new QueueFormation();
    await()
        .atMost(Duration.ofMinutes(4))
        .pollDelay(Duration.ZERO)
        .pollInterval(POLL)
        .until(
            () -> {
              readEachJob(jobIds, sightings, ended, formation);
              return ended.size() == JOBS;
            });
    assertThat(ended).as("every job ended").hasSize(JOBS);
    assertThat(ended.values()).allMatch(job -> job.getState() == JobState.SUCCEEDED);

    Accuracy all = new Accuracy();
    Accuracy settled = new Accuracy();
    StringBuilder table =
        new StringBuilder("job,submitted,seen_at_ms,jobs_ahead,estimated_start_ms,started_ms\n");
    for (Map.Entry<String, List<Sighting>> entry : sightings.entrySet()) {
      List<Sighting> seen = entry.getValue();
      // Once every job has reached the queue, and the gateway has measured it since, the queue
      // only moves forward. Before, jobs submitted earlier that are still being encoded join
      // other partitions, and the estimate counts a share of those ahead.
      List<Sighting> whole = seen.stream().filter(Sighting::queueWhole).toList();
      if (!whole.isEmpty()) {
        assertThat(whole.getLast().jobsAhead())
            .as(
                "jobs ahead of %s when last seen waiting, against when first seen with the whole"
                    + " queue formed",
                entry.getKey())
            .isLessThanOrEqualTo(whole.getFirst().jobsAhead());
      }
      long started =
          Objects.requireNonNull(ended.get(entry.getKey())).getTransitionsList().stream()
              .filter(t -> t.getState() == JobState.DENOISING)
              .map(StateTransition::getAt)
              .map(QueueEstimateTest::millis)
              .findFirst()
              .orElseThrow();
      for (Sighting sighting : seen) {
        table.append(
            "%s,%d,%d,%d,%s,%d%n"
                .formatted(
                    entry.getKey(),
                    jobIds.indexOf(entry.getKey()),
                    sighting.atMillis(),
                    sighting.jobsAhead(),
                    sighting.estimatedStartMillis().map(String::valueOf).orElse(""),
                    started));
        if (sighting.estimatedStartMillis().isPresent() && started > sighting.atMillis()) {
          long error = Math.abs(sighting.estimatedStartMillis().get() - started);
          long wait = started - sighting.atMillis();
          all.add(error, wait);
          if (sighting.atMillis() >= settledAt) {
            settled.add(error, wait);
          }
        }
      }
    }
    assertThat(sightings.size())
        .as("jobs seen waiting for the diffusion worker")
        .isGreaterThanOrEqualTo(JOBS / 2);
    assertThat(settled.errors)
        .as("sightings with an estimate, before the job started, once the pace settled")
        .isNotEmpty();

    String report =
        """
        | sightings | with an estimate | median remaining wait | median abs error | p90 abs error | max abs error |
        |---|---|---|---|---|---|
        | all | %s |
        | %d s after the last submission | %s |
        """
            .formatted(all.row(), SETTLED_AFTER.toSeconds(), settled.row());
    long seenWithTheQueueWhole =
        sightings.values().stream()
            .filter(seen -> seen.stream().anyMatch(Sighting::queueWhole))
            .count();
    System.out.println(
        "Queue estimate (jobs seen waiting: %d, %d of them once every job had reached the queue):%n%s"
            .formatted(sightings.size(), seenWithTheQueueWhole, report));
    Files.writeString(
        Path.of(
            System.getProperty("repo.root"), "system-tests/target/queue-estimate-sightings.csv"),
        table,
        StandardCharsets.UTF_8);
    Files.writeString(
        Path.of(System.getProperty("repo.root"), "system-tests/target/queue-estimate.md"),
        report,
        StandardCharsets.UTF_8);
    assertThat(settled.medianError())
        .as("the estimate is closer than guessing that the job starts now")
        .isLessThan(settled.medianWait());
  }

  /** How far estimates fell from the actual starts, against how long the jobs still waited. */
  private static final class Accuracy {
    final List<Long> errors = new ArrayList<>();
    final List<Long> waits = new ArrayList<>();

    void add(long error, long wait) {
      errors.add(error);
      waits.add(wait);
    }

    long medianError() {
      return percentile(errors, 50);
    }

    long medianWait() {
      return percentile(waits, 50);
    }

    String row() {
      return "%d | %d ms | %d ms | %d ms | %d ms"
          .formatted(
              errors.size(),
              medianWait(),
              medianError(),
              percentile(errors, 90),
              percentile(errors, 100));
    }
  }

  /** When the whole queue formed: the start of an unbroken run of rounds with no job on its way. */
  private static final class QueueFormation {
    private long wholeSince = -1;

    /**
     * Notes one round of readings; whether the whole queue has stood long enough for the gateway's
     * figures to count all of it.
     */
    boolean measuredWhole(boolean wholeNow, long now) {
      if (!wholeNow) {
        wholeSince = -1;
        return false;
      }
      if (wholeSince < 0) {
        wholeSince = now;
      }
      return now - wholeSince >= MEASURED_WITHIN.toMillis();
    }
  }

  /**
   * Notes where each job still waiting for the diffusion worker stands, and which have ended; one
   * round of readings.
   */
  private static void readEachJob(
      List<String> jobIds,
      Map<String, List<Sighting>> sightings,
      Map<String, Job> ended,
      QueueFormation formation) {
    record Reading(String jobId, long atMillis, QueuePosition position) {}
    List<Reading> waiting = new ArrayList<>();
    boolean queueWhole = true;
    for (String jobId : jobIds) {
      if (ended.containsKey(jobId)) {
        continue;
      }
      long at = System.currentTimeMillis();
      Job job = stub().getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
      if (job.getState() == JobState.SUCCEEDED || job.getState() == JobState.FAILED) {
        ended.put(jobId, job);
      } else if (job.hasQueuePosition()
          && job.getQueuePosition().getStage().equals("diffusion-worker")) {
        waiting.add(new Reading(jobId, at, job.getQueuePosition()));
      } else if (job.getState() != JobState.DENOISING) {
        queueWhole = false;
      }
    }
    boolean measuredWhole = formation.measuredWhole(queueWhole, System.currentTimeMillis());
    for (Reading reading : waiting) {
      QueuePosition position = reading.position();
      sightings
          .computeIfAbsent(reading.jobId(), id -> new ArrayList<>())
          .add(
              new Sighting(
                  reading.atMillis(),
                  position.getJobsAhead(),
                  position.hasEstimatedStart()
                      ? Optional.of(millis(position.getEstimatedStart()))
                      : Optional.empty(),
                  measuredWhole));
    }
  }

  private static long percentile(List<Long> values, int percent) {
    List<Long> sorted = values.stream().sorted().toList();
    int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
