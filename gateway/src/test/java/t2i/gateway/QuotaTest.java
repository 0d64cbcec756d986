package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Durations;
import com.google.rpc.RetryInfo;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.v1.CancelRequest;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;
import t2i.v1.WatchJobRequest;

/**
 * Per-tenant quotas (jobs in flight, submission rate) and global admission by backlog: refusals are
 * RESOURCE_EXHAUSTED naming the limit, with a retry hint in the trailers.
 */
@QuarkusTest
@TestProfile(QuotaProfile.class)
@QuarkusTestResource(LocalStackTestResource.class)
class QuotaTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @GrpcClient("t2i")
  Channel channel;

  @Inject GatewayConfig config;

  private TestStages stages;

  @BeforeEach
  void connect() {
    stages = new TestStages(config);
  }

  @AfterEach
  void disconnect() {
    stages.close();
  }

  private TextToImageGrpc.TextToImageBlockingStub tenant(String key) {
    return AuthenticatedProfile.withBearer(
        TextToImageGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS), key);
  }

  private static GenerateRequest request() {
    return GenerateRequest.newBuilder().setPrompt("a red circle").build();
  }

  private static StatusRuntimeException refusal(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("a refusal").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    return e;
  }

  /** The retry hint, which the trailer and the RetryInfo detail must agree on. */
  private static long retryAfterMillis(StatusRuntimeException e)
      throws InvalidProtocolBufferException {
    long trailer = Long.parseLong(e.getTrailers().get(Refusals.RETRY_AFTER_MS));
    com.google.rpc.Status rich = StatusProto.fromThrowable(e);
    assertThat(rich).isNotNull();
    RetryInfo info = rich.getDetails(0).unpack(RetryInfo.class);
    assertThat(Durations.toMillis(info.getRetryDelay())).isEqualTo(trailer);
    return trailer;
  }

  @Test
  void jobsInFlight_beyondTheLimit_areRefusedUntilOneEnds() throws Exception {
    TextToImageGrpc.TextToImageBlockingStub busy = tenant(QuotaProfile.BUSY_KEY);
    String first = busy.submit(request()).getJobId();
    busy.submit(request());
    GenerateRequest third =
        request().toBuilder().setRequestId(UUID.randomUUID().toString()).build();

    StatusRuntimeException refused = refusal(() -> busy.submit(third));
    assertThat(refused.getStatus().getDescription())
        .contains("'busy'", "2 jobs", "t2i.gateway.quota.max-jobs-in-flight");
    assertThat(retryAfterMillis(refused)).isEqualTo(QuotaProfile.IN_FLIGHT_RETRY_MS);

    busy.cancel(CancelRequest.newBuilder().setJobId(first).build());

    // The refused attempt left its request id free: the retry creates the job.
    String accepted = busy.submit(third).getJobId();
    assertThat(stages.store.state(accepted)).contains(JobState.QUEUED);
  }

  @Test
  void submissionsBeyondTheRate_areRefusedUntilTheWindowEnds() throws Exception {
    TextToImageGrpc.TextToImageBlockingStub rate = tenant(QuotaProfile.RATE_KEY);
    for (int i = 0; i < QuotaProfile.MAX_SUBMISSIONS; i++) {
      String jobId = rate.submit(request()).getJobId();
      // Finished at once, so that only the rate can refuse the next one.
      stages.finish(jobId, JobState.SUCCEEDED, "");
    }

    StatusRuntimeException refused = refusal(() -> rate.submit(request()));

    assertThat(refused.getStatus().getDescription())
        .contains(
            "'rate'",
            "3 jobs",
            "t2i.gateway.quota.max-submissions",
            "t2i.gateway.quota.submission-window");
    assertThat(retryAfterMillis(refused)).isBetween(1L, Duration.ofDays(1).toMillis());
  }

  @Test
  void backlogBeyondTheBound_refusesEveryTenant_untilTheWorkersCatchUp() throws Exception {
    TextToImageGrpc.TextToImageBlockingStub tenant = tenant(QuotaProfile.ADMISSION_KEY);
    // Encoded jobs that no diffusion worker takes.
    for (int i = 0; i <= QuotaProfile.MAX_QUEUED_JOBS; i++) {
      stages
          .producer
          .send(new ProducerRecord<>(QuotaProfile.ENCODED_TOPIC, "job-" + i, new byte[] {1}))
          .get();
    }

    Status refused =
        await()
            .atMost(WAIT)
            .until(
                () -> submitAndCancel(tenant),
                status ->
                    status.getCode() == Status.Code.RESOURCE_EXHAUSTED
                        && status
                            .getDescription()
                            .contains("t2i.gateway.admission.max-queued-jobs"));
    assertThat(refused.getDescription())
        .contains("the service is busy", "jobs are waiting for the workers");
    StatusRuntimeException refusal = refusal(() -> tenant.submit(request()));
    assertThat(refusal.getStatus().getDescription()).contains("the service is busy");
    assertThat(retryAfterMillis(refusal)).isEqualTo(QuotaProfile.ADMISSION_RETRY_MS);

    catchUpAllStages();

    // A tenant that has used none of its quota: only admission could refuse it.
    TextToImageGrpc.TextToImageBlockingStub late = tenant(QuotaProfile.LATE_KEY);
    await().atMost(WAIT).until(() -> submitAndCancel(late), Status::isOk);
  }

  @Test
  void streamsBeyondTheReplicasLimit_areRefused_untilOneCloses() throws Exception {
    TextToImageGrpc.TextToImageBlockingStub watcher = tenant(QuotaProfile.WATCHER_KEY);
    String jobId = watcher.submit(request()).getJobId();
    WatchJobRequest watch = WatchJobRequest.newBuilder().setJobId(jobId).build();
    TextToImageGrpc.TextToImageStub async =
        AuthenticatedProfile.withBearer(TextToImageGrpc.newStub(channel), QuotaProfile.WATCHER_KEY);
    StreamRecorder open = new StreamRecorder();
    Context.CancellableContext first = Context.current().withCancellation();
    first.run(() -> async.watchJob(watch, open));
    await().atMost(WAIT).until(() -> !open.events.isEmpty());

    StreamRecorder second = new StreamRecorder();
    async.watchJob(watch, second);
    Status refused = second.status();
    assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getDescription()).contains("t2i.gateway.max-streams");
    assertThat(Status.trailersFromThrowable(second.error.get()).get(Refusals.RETRY_AFTER_MS))
        .isEqualTo(Long.toString(QuotaProfile.IN_FLIGHT_RETRY_MS));

    first.cancel(null);

    await()
        .atMost(WAIT)
        .until(
            () -> {
              StreamRecorder again = new StreamRecorder();
              Context.CancellableContext call = Context.current().withCancellation();
              call.run(() -> async.watchJob(watch, again));
              await().atMost(WAIT).until(() -> !again.events.isEmpty() || again.ended());
              call.cancel(null);
              return !again.events.isEmpty();
            });
  }

  /** Submits a job and cancels it at once; returns OK, or the refusal. */
  private Status submitAndCancel(TextToImageGrpc.TextToImageBlockingStub tenant) {
    try {
      TextToImageGrpc.TextToImageBlockingStub stub = tenant.withDeadlineAfter(10, TimeUnit.SECONDS);
      String jobId = stub.submit(request()).getJobId();
      stub.cancel(CancelRequest.newBuilder().setJobId(jobId).build());
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  /** Commits every stage's consumer group at the end of its topic, as if the workers caught up. */
  private void catchUpAllStages() throws Exception {
    GatewayConfig.Admission admission = config.gateway().admission();
    Map<String, String> topicOfGroup =
        Map.of(
            admission.tokenizerGroup(), QuotaProfile.JOBS_TOPIC,
            admission.encoderGroup(), QuotaProfile.TOKENIZED_TOPIC,
            admission.diffusionGroup(), QuotaProfile.ENCODED_TOPIC);
    try (Admin admin = KafkaClients.admin(KafkaEndpoint.from(config.kafka()), "test-catch-up")) {
      for (Map.Entry<String, String> stage : topicOfGroup.entrySet()) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Objects.requireNonNull(
                admin
                    .describeTopics(List.of(stage.getValue()))
                    .allTopicNames()
                    .get()
                    .get(stage.getValue()))
            .partitions()
            .forEach(
                p ->
                    latest.put(
                        new TopicPartition(stage.getValue(), p.partition()), OffsetSpec.latest()));
        Map<TopicPartition, OffsetAndMetadata> ends = new HashMap<>();
        admin
            .listOffsets(latest)
            .all()
            .get()
            .forEach(
                (partition, info) -> ends.put(partition, new OffsetAndMetadata(info.offset())));
        admin.alterConsumerGroupOffsets(stage.getKey(), ends).all().get();
      }
    }
  }
}
