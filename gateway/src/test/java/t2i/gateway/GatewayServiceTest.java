package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.local.TopicProbe;
import t2i.pipeline.v1.JobSubmitted;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.SubmitResponse;
import t2i.v1.TextToImageGrpc;
import t2i.v1.TokenInfo;
import t2i.v1.TokenizeRequest;
import t2i.v1.TokenizeResponse;

/**
 * The gateway as deployed, against a real broker and Redis. The test plays the downstream stages:
 * it records job progress exactly as they do (job store first, then an event).
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class GatewayServiceTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @GrpcClient("t2i")
  Channel channel;

  private TextToImageGrpc.TextToImageBlockingStub blocking;
  private TextToImageGrpc.TextToImageStub async;

  @Inject GatewayConfig config;

  private TestStages stages;

  @BeforeEach
  void connect() {
    blocking = TextToImageGrpc.newBlockingStub(channel);
    async = TextToImageGrpc.newStub(channel);
    stages = new TestStages(config);
  }

  @AfterEach
  void disconnect() {
    stages.close();
  }

  private StreamRecorder generate(GenerateRequest request) {
    StreamRecorder recorder = new StreamRecorder();
    async.generate(request, recorder);
    return recorder;
  }

  @Test
  void submit_recordsTheJobAsQueuedAndPublishesItWithDefaultsResolved() throws Exception {
    try (TopicProbe jobs =
        TopicProbe.open(config.kafka().bootstrapServers(), config.kafka().topics().jobs())) {
      SubmitResponse response =
          blocking.submit(GenerateRequest.newBuilder().setPrompt("a red circle").build());

      JobSubmitted published = JobSubmitted.parseFrom(jobs.awaitValue(response.getJobId(), WAIT));
      GenerateRequest resolved = published.getSpec().getRequest();
      assertThat(resolved.getModel()).isEqualTo("tiny-random");
      assertThat(resolved.getWidth()).isEqualTo(64);
      assertThat(resolved.hasSeed()).isTrue();
      assertThat(published.getSpec().getDeadlineUnixMs())
          .isGreaterThan(published.getSpec().getAcceptedAtUnixMs());
      assertThat(stages.store.state(response.getJobId())).contains(JobState.QUEUED);
    }
  }

  @Test
  void generate_streamsAcceptedProgressImagesThenCompletes() {
    StreamRecorder stream =
        generate(GenerateRequest.newBuilder().setPrompt("x").setCount(2).build());
    String jobId = stream.acceptedJobId();

    stages.runToSuccess(jobId, 2);

    await().atMost(WAIT).until(stream::ended);
    assertThat(stream.error.get()).isNull();
    List<GenerateEvent> events = stream.events;
    assertThat(events.getFirst().getAccepted().getEffectiveRequest().getCount()).isEqualTo(2);
    assertThat(events.stream().filter(GenerateEvent::hasImage).map(GenerateEvent::getImage))
        .extracting(i -> i.getIndex(), i -> i.getSeed(), i -> i.getPng())
        .containsExactly(
            tuple(0, 100L, ByteString.copyFrom(TestStages.PNG)),
            tuple(1, 101L, ByteString.copyFrom(TestStages.PNG)));
    assertThat(events.stream().filter(GenerateEvent::hasProgress).map(GenerateEvent::getProgress))
        .isNotEmpty()
        .allSatisfy(p -> assertThat(p.getStep()).isLessThanOrEqualTo(2));
    GenerateEvent last = events.getLast();
    assertThat(last.hasCompleted()).isTrue();
    assertThat(last.getCompleted().getJob().getState()).isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void getJob_afterSuccess_returnsTheImagesAndEveryTransition() {
    String jobId = blocking.submit(GenerateRequest.newBuilder().setPrompt("x").build()).getJobId();
    stages.runToSuccess(jobId, 1);

    Job job = blocking.getJob(GetJobRequest.newBuilder().setJobId(jobId).build());

    assertThat(job.getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.getImagesList()).hasSize(1);
    assertThat(job.getImages(0).getPng()).isEqualTo(ByteString.copyFrom(TestStages.PNG));
    assertThat(job.getTransitionsList())
        .extracting(t -> t.getState())
        .containsExactly(
            JobState.QUEUED,
            JobState.TOKENIZING,
            JobState.ENCODING,
            JobState.DENOISING,
            JobState.SUCCEEDED);
  }

  @Test
  void generate_failedJob_endsTheStreamWithTheReason() {
    StreamRecorder stream = generate(GenerateRequest.newBuilder().setPrompt("x").build());
    String jobId = stream.acceptedJobId();

    stages.finish(jobId, JobState.FAILED, "the model ran out of memory");

    await().atMost(WAIT).until(stream::ended);
    Status status = Status.fromThrowable(stream.error.get());
    assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(status.getDescription()).contains(jobId, "the model ran out of memory");
  }

  @Test
  void generate_eventsMissed_catchesUpFromTheJobRecord() {
    StreamRecorder stream = generate(GenerateRequest.newBuilder().setPrompt("x").build());
    String jobId = stream.acceptedJobId();

    // Written to the record only, as if the events were lost.
    stages.store.putImage(jobId, TestStages.imageReady(jobId, 0), TestStages.PNG);
    stages.store.finish(jobId, JobState.SUCCEEDED, "");

    await().atMost(WAIT).until(stream::ended);
    assertThat(stream.error.get()).isNull();
    assertThat(stream.events).anyMatch(GenerateEvent::hasImage);
    assertThat(stream.events.getLast().hasCompleted()).isTrue();
  }

  @Test
  void tokenize_explainsEveryTokenWithItsWeightAndWindow() {
    TokenizeResponse response =
        blocking.tokenize(TokenizeRequest.newBuilder().setPrompt("a (red:1.5) 🧛 circle").build());

    assertThat(response.getModel()).isEqualTo("tiny-random");
    assertThat(response.getWindow()).isEqualTo(77);
    assertThat(response.getChunkCount()).isEqualTo(1);
    assertThat(response.getCutOffCount()).isZero();
    List<TokenInfo> tokens = response.getTokensList();
    assertThat(tokens.getFirst().getText()).isEqualTo("a");
    assertThat(tokens.get(1).getText()).isEqualTo("red");
    assertThat(tokens.get(1).getWeight()).isEqualTo(1.5f);
    // The tiny vocabulary has no emoji: it falls apart into raw bytes.
    List<TokenInfo> fragments = tokens.stream().filter(TokenInfo::getByteFragment).toList();
    assertThat(fragments).isNotEmpty().allSatisfy(t -> assertThat(t.getText()).startsWith("\\x"));
    assertThat(tokens.getLast().getText()).isEqualTo("circle");
    assertThat(tokens).extracting(TokenInfo::getChunk).containsOnly(0);
    assertThat(tokens).extracting(TokenInfo::getPosition).startsWith(1, 2);
  }

  @Test
  void tokenize_overlongPrompt_reportsTheCutOffTokens() {
    TokenizeResponse response =
        blocking.tokenize(TokenizeRequest.newBuilder().setPrompt("red ".repeat(700)).build());

    assertThat(response.getMaxChunks()).isEqualTo(8);
    assertThat(response.getChunkCount()).isEqualTo(8);
    assertThat(response.getCutOffCount()).isEqualTo(100);
    assertThat(response.getTokensList().getLast().getCutOff()).isTrue();
  }

  @Test
  void getJob_unknownId_isNotFound() {
    assertThatThrownBy(
            () -> blocking.getJob(GetJobRequest.newBuilder().setJobId("no-such-job").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription()).contains("no-such-job", "expired");
            });
  }

  @Test
  void undecodableRequest_isInvalidArgument_notAServerError() {
    MethodDescriptor<byte[], byte[]> rawSubmit = RawBytes.method(TextToImageGrpc.getSubmitMethod());
    // Field 1 (prompt) announced as 100 bytes long, but the message ends after 3.
    byte[] truncated = {0x0a, 0x64, 'a', 'b', 'c'};

    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    rawSubmit,
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                    truncated))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .contains("not a valid protobuf message", "t2i.v1.TextToImage/Submit");
            });
  }

  @Test
  void badRequests_areRejectedBeforeAnyJobExists() {
    assertThatThrownBy(() -> blocking.submit(GenerateRequest.newBuilder().setPrompt("").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    StreamRecorder stream =
        generate(GenerateRequest.newBuilder().setPrompt("x").setModel("sd-99").build());
    await().atMost(WAIT).until(stream::ended);
    assertThat(Status.fromThrowable(stream.error.get()).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(stream.events).isEmpty();
  }
}
