package t2i.system.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import t2i.client.Channels;
import t2i.launcher.Service;
import t2i.local.WebhookReceiver;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.JobSubmitted;
import t2i.v1.CallbackOutcome;
import t2i.v1.GenerateRequest;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;

/**
 * No accepted job is lost, failed or done twice because a process died or infrastructure was away.
 * Each scenario runs 200 jobs through the real processes of {@link FaultCluster} while one fault
 * strikes, then checks every job through the public API: it ended SUCCEEDED with its image, and no
 * client stream showed an image or a completion twice. Scenarios run in order on one cluster; the
 * table of results goes to stdout and {@code target/fault-suite.md}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultSuiteTest {

  private static final int JOBS = 200;
  private static final double PER_SECOND = 40;
  private static final Duration CLIENT_LIMIT = Duration.ofMinutes(4);
  private static final GenerateRequest TEMPLATE =
      GenerateRequest.newBuilder()
          .setPrompt("a red circle at the top left on a white background")
          .setWidth(64)
          .setHeight(64)
          .setSteps(2)
          .setGuidanceScale(1f)
          .setCount(1)
          .build();

  private static FaultCluster cluster;
  private static ManagedChannel channel;
  private static final List<Row> table = new ArrayList<>();
  private static final Set<Path> heldDown = new HashSet<>();

  /** One scenario's results: the table row. */
  record Row(
      String scenario,
      int jobs,
      int succeeded,
      int failed,
      int lost,
      int goneAfterEnding,
      int duplicateEvents,
      int duplicateRuns,
      double recoverSeconds,
      double seconds) {

    String markdown() {
      return "| %s | %d | %d | %d | %d | %d | %d | %d | %.1f | %.0f |"
          .formatted(
              scenario,
              jobs,
              succeeded,
              failed,
              lost,
              goneAfterEnding,
              duplicateEvents,
              duplicateRuns,
              recoverSeconds,
              seconds);
    }
  }

  /** A fault, struck while the load runs; returns when the fault is over (its end time). */
  @FunctionalInterface
  interface Fault {
    void strike() throws Exception;
  }

  @BeforeAll
  static void startCluster() throws Exception {
    Path home = Path.of(System.getProperty("repo.root"));
    cluster = FaultCluster.start(home, home.resolve("system-tests/target/fault-suite"));
    channel = Channels.open(cluster.services().gatewayAddress());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    StringBuilder report = new StringBuilder();
    report.append(
        "| scenario | jobs | succeeded | failed | lost | ended before the fault, gone with"
            + " Redis' data | duplicate events | duplicate UNet runs | all done after the fault"
            + " (s) | scenario time (s) |\n");
    report.append("|---|---|---|---|---|---|---|---|---|---|\n");
    table.forEach(row -> report.append(row.markdown()).append('\n'));
    System.out.println("Fault suite:\n" + report);
    Path home = Path.of(System.getProperty("repo.root"));
    Files.writeString(
        home.resolve("system-tests/target/fault-suite.md"), report, StandardCharsets.UTF_8);
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static void pause(Duration duration) throws InterruptedException {
    Thread.sleep(duration.toMillis());
  }

  /** Runs the load with the fault striking {@code after} the first job, and checks the outcome. */
  private static Row scenario(String name, Duration after, Fault fault) throws Exception {
    return scenario(name, JOBS, JOBS, PER_SECOND, TEMPLATE, after, fault);
  }

  /**
   * Runs at least {@code minJobs} and, while the fault lasts, up to {@code maxJobs}, {@code
   * perSecond} a second, with the fault striking {@code after} the first job; checks the outcome.
   */
  private static Row scenario(
      String name,
      int minJobs,
      int maxJobs,
      double perSecond,
      GenerateRequest template,
      Duration after,
      Fault fault)
      throws Exception {
    long began = System.nanoTime();
    AtomicLong faultOver = new AtomicLong();
    AtomicLong faultOverMillis = new AtomicLong();
    AtomicReference<Throwable> faultFailure = new AtomicReference<>();
    String prefix = name.replaceAll("[^a-z0-9]+", "-") + "-" + UUID.randomUUID();
    List<JobLoad.Outcome> outcomes =
        JobLoad.run(
            channel,
            prefix,
            minJobs,
            maxJobs,
            () -> faultOver.get() != 0,
            perSecond,
            template,
            CLIENT_LIMIT,
            () -> {
              try {
                pause(after);
                fault.strike();
              } catch (Throwable t) {
                faultFailure.set(t);
              } finally {
                faultOverMillis.set(System.currentTimeMillis());
                faultOver.set(System.nanoTime());
              }
            });
    while (faultOver.get() == 0) {
      Thread.sleep(100);
    }
    assertThat(faultFailure.get()).as("the fault itself").isNull();
    cluster.services().awaitAllStarted();

    int succeeded = 0;
    int failed = 0;
    int duplicateEvents = 0;
    long lastEnd = faultOver.get();
    Set<String> jobIds = new HashSet<>();
    Set<String> missing = new HashSet<>();
    int neverAccepted = 0;
    for (JobLoad.Outcome outcome : outcomes) {
      duplicateEvents += outcome.duplicateEvents();
      lastEnd = Math.max(lastEnd, outcome.endedAtNanos());
      if (outcome.acceptedJobs().isEmpty()) {
        neverAccepted++;
        continue;
      }
      // The client has what it asked for: the completion with its image, or GetJob has them.
      Job last = JobLoad.getJob(channel, outcome.jobId());
      boolean lastSucceeded =
          last != null && last.getState() == JobState.SUCCEEDED && last.getImagesCount() == 1;
      if (lastSucceeded
          || (outcome.state() == JobState.SUCCEEDED && outcome.imagesReceived() == 1)) {
        succeeded++;
      } else if (last != null && JobLoad.isTerminal(last.getState())) {
        failed++;
        System.out.printf(
            "%s: job %s ended %s: %s%n", name, outcome.jobId(), last.getState(), last.getReason());
      }
      // Every job any attempt was accepted as must have succeeded, or be gone only because it had
      // ended before Redis lost its data.
      for (String jobId : outcome.acceptedJobs()) {
        jobIds.add(jobId);
        Job job = jobId.equals(outcome.jobId()) ? last : JobLoad.getJob(channel, jobId);
        if (job == null || !JobLoad.isTerminal(job.getState())) {
          missing.add(jobId);
        }
      }
    }
    // A job whose end Kafka had announced by the time Redis was back (empty) may be gone with
    // Redis' data; any other job that is missing was lost.
    Map<String, Long> finished = missing.isEmpty() ? Map.of() : cluster.finishedAt(missing);
    int goneAfterEnding =
        (int)
            missing.stream()
                .filter(id -> finished.getOrDefault(id, Long.MAX_VALUE) <= faultOverMillis.get())
                .count();
    int lost = neverAccepted + missing.size() - goneAfterEnding;
    missing.stream()
        .filter(id -> finished.getOrDefault(id, Long.MAX_VALUE) > faultOverMillis.get())
        .forEach(id -> System.out.printf("%s: job %s is missing at the end%n", name, id));
    List<Path> diffusionLogs =
        cluster.services().instances(Service.DIFFUSION).stream().map(cluster::logOf).toList();
    int duplicateRuns = UnetRuns.duplicateRuns(diffusionLogs, heldDown, jobIds);
    double recover = (lastEnd - faultOver.get()) / 1e9;
    Row row =
        new Row(
            name,
            outcomes.size(),
            succeeded,
            failed,
            lost,
            goneAfterEnding,
            duplicateEvents,
            duplicateRuns,
            recover,
            (System.nanoTime() - began) / 1e9);
    table.add(row);
    System.out.println("Fault suite: " + row.markdown());
    return row;
  }

  private static void assertNothingLostOrRepeated(Row row) {
    assertThat(row.succeeded())
        .as("clients whose job succeeded with its image")
        .isEqualTo(row.jobs());
    assertThat(row.lost()).as("jobs lost").isZero();
    assertThat(row.duplicateEvents()).as("images or completions a stream showed twice").isZero();
    assertThat(row.duplicateRuns()).as("jobs run twice by processes that lived on").isZero();
  }

  @Test
  @Order(1)
  void gatewayKilledMidSubmission_clientsRetryingByRequestId() throws Exception {
    Row row =
        scenario(
            "kill -9 gateway mid-submission",
            Duration.ofMillis(1500),
            () -> {
              cluster.services().kill("gateway");
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(2)
  void gatewayKilledMidWork() throws Exception {
    Row row =
        scenario(
            "kill -9 gateway mid-work",
            Duration.ofMillis(5500),
            () -> {
              cluster.services().kill("gateway");
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(3)
  void tokenizerKilled() throws Exception {
    Row row =
        scenario(
            "kill -9 tokenizer-service",
            Duration.ofSeconds(2),
            () -> {
              cluster.services().kill("tokenizer-service");
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(4)
  void oneOfTwoEncodersKilled() throws Exception {
    Row row =
        scenario(
            "kill -9 one of two encoder-workers",
            Duration.ofSeconds(2),
            () -> {
              cluster.services().kill("encoder-worker");
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(5)
  void oneOfTwoDiffusionWorkersKilledAndRestarted() throws Exception {
    Row row =
        scenario(
            "kill -9 one of two diffusion-workers (restarted)",
            Duration.ofSeconds(2),
            () -> {
              cluster.services().kill("diffusion-worker");
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(6)
  void oneOfTwoDiffusionWorkersKilledAndKeptDown() throws Exception {
    Path log = cluster.logOf("diffusion-worker-2");
    Row row =
        scenario(
            "kill -9 one of two diffusion-workers (kept down)",
            Duration.ofSeconds(2),
            () -> {
              heldDown.add(log);
              cluster.services().killAndHold("diffusion-worker-2");
            });
    assertNothingLostOrRepeated(row);
    heldDown.remove(log);
    cluster.services().restart("diffusion-worker-2");
  }

  @Test
  @Order(7)
  void aThirdDiffusionWorkerJoinsMidRun_andTakesJobs() throws Exception {
    String[] joined = new String[1];
    // Larger jobs than elsewhere, so that work is still waiting when the worker is up.
    GenerateRequest larger = TEMPLATE.toBuilder().setWidth(128).setHeight(128).setSteps(20).build();
    Row row =
        scenario(
            "a third diffusion-worker joins",
            // The load goes on until the new worker has taken a job: its start alone took from
            // 20 s to over 50 s on loaded machines, so no fixed number of jobs is sure to outlast
            // it.
            300,
            1200,
            10,
            larger,
            Duration.ofSeconds(1),
            () -> {
              joined[0] = cluster.services().addInstance(Service.DIFFUSION, Map.of());
              Path log = cluster.logOf(joined[0]);
              await("the joined worker's first job")
                  .atMost(Duration.ofMinutes(2))
                  .pollInterval(Duration.ofMillis(500))
                  .until(
                      () ->
                          Files.readString(log, StandardCharsets.UTF_8).contains("Denoising job"));
            });
    assertNothingLostOrRepeated(row);
    Path log = cluster.logOf(joined[0]);
    assertThat(Files.readString(log, StandardCharsets.UTF_8))
        .as("the joined worker's log")
        .contains("Denoising job");
    heldDown.add(log);
    cluster.services().killAndHold(joined[0]);
  }

  @Test
  @Order(8)
  void brokerDown20Seconds() throws Exception {
    Row row =
        scenario(
            "Kafka broker down 20 s",
            Duration.ofSeconds(2),
            () -> {
              cluster.broker().kill();
              pause(Duration.ofSeconds(20));
              cluster.broker().startAgain();
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(9)
  void brokerDown60Seconds() throws Exception {
    Row row =
        scenario(
            "Kafka broker down 60 s",
            Duration.ofSeconds(2),
            () -> {
              cluster.broker().kill();
              pause(Duration.ofSeconds(60));
              cluster.broker().startAgain();
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(10)
  void redisDown20Seconds() throws Exception {
    Row row =
        scenario(
            "Redis down 20 s",
            Duration.ofSeconds(2),
            () -> {
              cluster.stopRedis();
              pause(Duration.ofSeconds(20));
              cluster.startRedis();
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(11)
  void redisDown60Seconds() throws Exception {
    Row row =
        scenario(
            "Redis down 60 s",
            Duration.ofSeconds(2),
            () -> {
              cluster.stopRedis();
              pause(Duration.ofSeconds(60));
              cluster.startRedis();
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(12)
  void redisRestartedEmpty_everyJobNotYetEndedSucceeds() throws Exception {
    Row row = scenario("Redis restarted empty", Duration.ofSeconds(2), cluster::restartRedisEmpty);
    // Clients of jobs that had ended but whose results went with Redis' data submit again.
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(13)
  void garbageOnEveryInputTopic() throws Exception {
    Random random = new Random(42);
    Row row =
        scenario(
            "1 MB garbage and random bytes on every input topic",
            Duration.ofSeconds(1),
            () -> {
              for (String topic :
                  List.of("t2i.jobs", "t2i.tokenized", "t2i.encoded", "t2i.events")) {
                byte[] large = new byte[1_000_000];
                random.nextBytes(large);
                cluster.produceRaw(topic, "garbage-" + UUID.randomUUID(), large);
                for (int i = 0; i < 5; i++) {
                  byte[] small = new byte[1 + random.nextInt(200)];
                  random.nextBytes(small);
                  cluster.produceRaw(topic, random.nextBoolean() ? null : "noise-" + i, small);
                }
              }
            });
    assertNothingLostOrRepeated(row);
  }

  @Test
  @Order(14)
  void aJobForAnUnknownModel_failsSayingSo_andTheOthersSucceed() throws Exception {
    String jobId = UUID.randomUUID().toString();
    Row row =
        scenario(
            "a job for a model nobody has",
            Duration.ofSeconds(1),
            () -> {
              JobSpec spec =
                  JobSpec.newBuilder()
                      .setJobId(jobId)
                      .setRequest(TEMPLATE.toBuilder().setModel("no-such-model").setSeed(1))
                      .setAcceptedAtUnixMs(System.currentTimeMillis())
                      .setDeadlineUnixMs(System.currentTimeMillis() + 120_000)
                      .build();
              cluster.produceRaw(
                  "t2i.jobs", jobId, JobSubmitted.newBuilder().setSpec(spec).build().toByteArray());
            });
    assertNothingLostOrRepeated(row);
    Job job = null;
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < until) {
      job = JobLoad.getJob(channel, jobId);
      if (job != null && job.getState() == JobState.FAILED) {
        break;
      }
      Thread.sleep(200);
    }
    assertThat(job).isNotNull();
    assertThat(job.getState()).isEqualTo(JobState.FAILED);
    assertThat(job.getReason()).contains("no-such-model").contains("not installed");
  }

  @Test
  @Order(15)
  void notifierKilledMidDelivery_deliversEveryCallbackOnceAfterItsRestart() throws Exception {
    try (WebhookReceiver receiver = WebhookReceiver.answering(FaultCluster.SIGNING_SECRET)) {
      receiver.answerFromNowOn(503);
      List<String> jobIds = new ArrayList<>();
      TextToImageGrpc.TextToImageBlockingStub stub =
          TextToImageGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
      for (int i = 0; i < 20; i++) {
        GenerateRequest request =
            TEMPLATE.toBuilder().setSeed(i).setCallbackUrl(receiver.url()).build();
        jobIds.add(stub.submit(request).getJobId());
      }
      // Every job has ended and its callback is being retried: the notifier holds them all.
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> jobIds.stream().allMatch(id -> attempted(id, CallbackOutcome.WILL_RETRY)));

      cluster.services().kill("notifier");
      receiver.answerFromNowOn(200);
      cluster.services().awaitAllStarted();

      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> jobIds.stream().allMatch(id -> attempted(id, CallbackOutcome.DELIVERED)));
      for (String jobId : jobIds) {
        Job job = Objects.requireNonNull(JobLoad.getJob(channel, jobId));
        String delivery = job.getCallbackAttempts(0).getDeliveryId();
        List<WebhookReceiver.Request> seen = receiver.requestsFor(delivery);
        assertThat(seen)
            .as("signed requests for job " + jobId)
            .allMatch(WebhookReceiver.Request::signatureValid);
        assertThat(seen.stream().filter(r -> r.answered() == 200))
            .as("accepted deliveries of job " + jobId)
            .hasSize(1);
      }
      System.out.printf(
          "Fault suite: kill -9 notifier mid-delivery: %d callbacks, %d requests, each accepted"
              + " once%n",
          jobIds.size(), receiver.requests().size());
    }
  }

  private static boolean attempted(String jobId, CallbackOutcome outcome) {
    Job job = JobLoad.getJob(channel, jobId);
    return job != null
        && job.getCallbackAttemptsList().stream().anyMatch(a -> a.getOutcome() == outcome);
  }
}
