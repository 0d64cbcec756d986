package t2i.notifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import t2i.local.LocalStackTestResource;
import t2i.local.WebhookReceiver;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.JobView;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.v1.JobEvent;
import t2i.pipeline.v1.JobFinished;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.CallbackAttempt;
import t2i.v1.CallbackOutcome;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;

/**
 * The notifier as deployed, against a real broker and Redis, calling real HTTP receivers that check
 * its signatures (the test profile's secret, short backoffs and a 2 s request timeout).
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class NotifierTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String SECRET = "test-signing-secret";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject NotifierConfig config;
  @Inject SmallRyeHealthReporter health;

  private KafkaProducer<String, byte[]> producer;
  private UnifiedJedis redis;
  private JobStore store;
  private JobTracker tracker;

  @BeforeEach
  void connect() {
    producer = KafkaClients.producer(KafkaEndpoint.from(config.kafka()), "test");
    redis = StageConnections.openRedis(config.redis().url());
    store = new JobStore(redis, Duration.ofMinutes(5), InstantSource.system());
    tracker =
        new JobTracker(
            store,
            new Publisher(producer, Runnable::run),
            config.kafka().topics().events(),
            InstantSource.system());
  }

  @AfterEach
  void disconnect() {
    redis.close();
    producer.close();
  }

  /** Does what the stages do with a job: records it, then ends it, which publishes the event. */
  private String endJob(@Nullable String callbackUrl, JobState end, @Nullable String reason) {
    GenerateRequest.Builder request = GenerateRequest.newBuilder().setPrompt("a red circle");
    if (callbackUrl != null) {
      request.setCallbackUrl(callbackUrl);
    }
    JobSpec spec =
        JobSpec.newBuilder()
            .setJobId(UUID.randomUUID().toString())
            .setRequest(request)
            .setAcceptedAtUnixMs(System.currentTimeMillis())
            .build();
    store.create(spec);
    tracker.finish(spec, end, reason).join();
    return spec.getJobId();
  }

  private List<CallbackAttempt> attempts(String jobId) {
    return store.find(jobId).map(JobView::callbackAttempts).orElseThrow();
  }

  @Test
  void aReceiverThatFailsTwice_getsTheSignedCallbackAThirdTime_andEachAttemptIsOnTheJob()
      throws Exception {
    try (WebhookReceiver receiver = WebhookReceiver.answering(SECRET, 500, 503)) {
      String jobId = endJob(receiver.url(), JobState.SUCCEEDED, null);
      String delivery = WebhookPayload.deliveryId(jobId);

      await()
          .atMost(WAIT)
          .until(() -> attempts(jobId).size() == 3 && receiver.requestsFor(delivery).size() == 3);

      List<WebhookReceiver.Request> seen = receiver.requestsFor(delivery);
      assertThat(seen).extracting(WebhookReceiver.Request::attempt).containsExactly(1, 2, 3);
      assertThat(seen).allMatch(WebhookReceiver.Request::signatureValid);
      assertThat(seen).extracting(WebhookReceiver.Request::answered).containsExactly(500, 503, 200);
      assertThat(seen.stream().filter(r -> r.answered() == 200)).hasSize(1);
      JsonNode body = JSON.readTree(seen.get(2).body());
      assertThat(body.get("job_id").asText()).isEqualTo(jobId);
      assertThat(body.get("delivery_id").asText()).isEqualTo(delivery);
      assertThat(body.get("state").asText()).isEqualTo("SUCCEEDED");
      assertThat(body.get("request").get("prompt").asText()).isEqualTo("a red circle");
      assertThat(body.get("transitions").findValuesAsText("state")).contains("QUEUED", "SUCCEEDED");

      assertThat(attempts(jobId))
          .extracting(CallbackAttempt::getOutcome)
          .containsExactly(
              CallbackOutcome.WILL_RETRY, CallbackOutcome.WILL_RETRY, CallbackOutcome.DELIVERED);
      assertThat(attempts(jobId))
          .extracting(CallbackAttempt::getHttpStatus)
          .containsExactly(500, 503, 200);
      assertThat(attempts(jobId)).extracting(CallbackAttempt::getDeliveryId).containsOnly(delivery);
    }
  }

  @Test
  void aFailedJob_isReportedWithItsReason() throws Exception {
    try (WebhookReceiver receiver = WebhookReceiver.answering(SECRET)) {
      String jobId = endJob(receiver.url(), JobState.FAILED, "the prompt was refused");

      await()
          .atMost(WAIT)
          .until(() -> receiver.requestsFor(WebhookPayload.deliveryId(jobId)).size() == 1);

      JsonNode body =
          JSON.readTree(receiver.requestsFor(WebhookPayload.deliveryId(jobId)).get(0).body());
      assertThat(body.get("state").asText()).isEqualTo("FAILED");
      assertThat(body.get("reason").asText()).isEqualTo("the prompt was refused");
    }
  }

  @Test
  void aReceiverThatRefuses_isGivenUpAfterOneAttempt() throws Exception {
    try (WebhookReceiver receiver = WebhookReceiver.answering(SECRET, 410)) {
      String jobId = endJob(receiver.url(), JobState.CANCELLED, "cancelled by its owner");

      await().atMost(WAIT).until(() -> !attempts(jobId).isEmpty());
      await()
          .during(Duration.ofMillis(700))
          .atMost(WAIT)
          .until(() -> receiver.requestsFor(WebhookPayload.deliveryId(jobId)).size() == 1);

      assertThat(attempts(jobId)).hasSize(1);
      assertThat(attempts(jobId).get(0).getOutcome()).isEqualTo(CallbackOutcome.GAVE_UP);
      assertThat(attempts(jobId).get(0).getHttpStatus()).isEqualTo(410);
      assertThat(attempts(jobId).get(0).getError()).contains("410", "not retried");
    }
  }

  @Test
  void aReceiverThatNeverAnswers_delaysNoOtherJobsCallback() throws Exception {
    try (WebhookReceiver stuck = WebhookReceiver.hanging(SECRET);
        WebhookReceiver healthy = WebhookReceiver.answering(SECRET)) {
      String stuckJob = endJob(stuck.url(), JobState.SUCCEEDED, null);
      String healthyJob = endJob(healthy.url(), JobState.SUCCEEDED, null);

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> healthy.requestsFor(WebhookPayload.deliveryId(healthyJob)).size() == 1);

      assertThat(attempts(healthyJob))
          .extracting(CallbackAttempt::getOutcome)
          .containsExactly(CallbackOutcome.DELIVERED);
      assertThat(attempts(stuckJob))
          .extracting(CallbackAttempt::getOutcome)
          .doesNotContain(CallbackOutcome.DELIVERED);
      // The stuck one times out (2 s in the test profile) and is retried, not given up.
      await().atMost(WAIT).until(() -> !attempts(stuckJob).isEmpty());
      assertThat(attempts(stuckJob).get(0).getOutcome()).isEqualTo(CallbackOutcome.WILL_RETRY);
      assertThat(attempts(stuckJob).get(0).getError()).contains("no answer within");
    }
  }

  @Test
  void aDeliveredCallback_isNotSentAgain_whenItsEventIsReadAgain() throws Exception {
    try (WebhookReceiver receiver = WebhookReceiver.answering(SECRET)) {
      String jobId = endJob(receiver.url(), JobState.SUCCEEDED, null);
      String delivery = WebhookPayload.deliveryId(jobId);
      await().atMost(WAIT).until(() -> receiver.requestsFor(delivery).size() == 1);
      await().atMost(WAIT).until(() -> attempts(jobId).size() == 1);

      // The same final event again, as after a restart before the offset was committed.
      new Publisher(producer, Runnable::run)
          .send(
              config.kafka().topics().events(),
              jobId,
              JobEvent.newBuilder()
                  .setJobId(jobId)
                  .setAtUnixMs(System.currentTimeMillis())
                  .setFinished(JobFinished.newBuilder().setState(JobState.SUCCEEDED))
                  .build())
          .join();
      await()
          .during(Duration.ofSeconds(1))
          .atMost(WAIT)
          .until(() -> receiver.requestsFor(delivery).size() == 1);
    }
  }

  @Test
  void jobsWithoutACallback_areNotCalled() throws Exception {
    try (WebhookReceiver receiver = WebhookReceiver.answering(SECRET)) {
      String without = endJob(null, JobState.SUCCEEDED, null);
      String with = endJob(receiver.url(), JobState.SUCCEEDED, null);

      await().atMost(WAIT).until(() -> receiver.requests().size() == 1);
      assertThat(receiver.requests().get(0).deliveryId())
          .isEqualTo(WebhookPayload.deliveryId(with));
      assertThat(attempts(without)).isEmpty();
    }
  }

  @Test
  void servesItsLivenessAndReadiness_asNamedHealthChecks() {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(health.getReadiness().isDown()).isFalse();
              assertThat(health.getReadiness().getPayload().toString())
                  .contains("\"notifier-dependencies\"");
            });
    assertThat(health.getLiveness().getPayload().toString()).contains("\"notifier-loops\"");
  }
}
