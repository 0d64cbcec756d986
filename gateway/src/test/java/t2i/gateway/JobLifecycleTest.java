package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.Timestamps;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.CancelRequest;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.ListModelsRequest;
import t2i.v1.ModelInfo;
import t2i.v1.Progress;
import t2i.v1.Scheduler;
import t2i.v1.StateTransition;
import t2i.v1.TextToImageGrpc;
import t2i.v1.WatchJobRequest;

/**
 * A job's life through the API by id: Submit, GetJob, WatchJob and Cancel, with states, timestamps
 * and deadlines. The test plays the downstream stages.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class JobLifecycleTest {

  @GrpcClient("t2i")
  Channel channel;

  @Inject GatewayConfig config;

  private TextToImageGrpc.TextToImageBlockingStub blocking;
  private TextToImageGrpc.TextToImageStub async;
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

  private String submit() {
    return blocking
        .submit(GenerateRequest.newBuilder().setPrompt("a red circle").build())
        .getJobId();
  }

  private Job getJob(String jobId) {
    return blocking.getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
  }

  private StreamRecorder watch(String jobId) {
    StreamRecorder recorder = new StreamRecorder();
    async.watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build(), recorder);
    return recorder;
  }

  private static List<JobState> states(Job job) {
    return job.getTransitionsList().stream().map(StateTransition::getState).toList();
  }

  @Test
  void getJob_followsTheJobThroughEveryStateWithTimestamps() {
    long before = System.currentTimeMillis();
    String jobId = submit();

    Job queued = getJob(jobId);
    assertThat(queued.getState()).isEqualTo(JobState.QUEUED);
    assertThat(Timestamps.toMillis(queued.getTransitions(0).getAt()))
        .isBetween(before, System.currentTimeMillis());

    stages.advanceTo(jobId, JobState.TOKENIZING);
    stages.advanceTo(jobId, JobState.ENCODING);
    stages.advanceTo(jobId, JobState.DENOISING);
    stages.denoise(jobId, 3, 25);
    Job denoising = getJob(jobId);
    assertThat(denoising.getState()).isEqualTo(JobState.DENOISING);
    assertThat(denoising.getStep()).isEqualTo(3);
    assertThat(denoising.getTotalSteps()).isEqualTo(25);

    stages.image(jobId, 0);
    stages.finish(jobId, JobState.SUCCEEDED, "");
    Job done = getJob(jobId);
    assertThat(states(done))
        .containsExactly(
            JobState.QUEUED,
            JobState.TOKENIZING,
            JobState.ENCODING,
            JobState.DENOISING,
            JobState.SUCCEEDED);
    assertThat(done.getTransitionsList())
        .extracting(t -> Timestamps.toMillis(t.getAt()))
        .isSorted()
        .allSatisfy(at -> assertThat(at).isBetween(before, System.currentTimeMillis()));
    assertThat(done.getImagesList()).hasSize(1);
  }

  @Test
  void failedJob_carriesItsReason() {
    String jobId = submit();

    stages.finish(jobId, JobState.FAILED, "the model ran out of GPU memory; ask for fewer images");

    Job job = getJob(jobId);
    assertThat(job.getState()).isEqualTo(JobState.FAILED);
    assertThat(job.getReason()).isEqualTo("the model ran out of GPU memory; ask for fewer images");
    assertThat(states(job)).containsExactly(JobState.QUEUED, JobState.FAILED);
  }

  @Test
  void watchJob_startsFromTheCurrentStateThenStreamsToCompletion() {
    String jobId = submit();
    stages.advanceTo(jobId, JobState.TOKENIZING);
    stages.advanceTo(jobId, JobState.ENCODING);
    stages.advanceTo(jobId, JobState.DENOISING);
    stages.denoise(jobId, 4, 10);

    StreamRecorder stream = watch(jobId);
    await().atMost(StreamRecorder.WAIT).until(() -> !stream.events.isEmpty());
    Progress first = stream.events.getFirst().getProgress();
    assertThat(first.getState()).isEqualTo(JobState.DENOISING);
    assertThat(first.getStep()).isEqualTo(4);
    assertThat(first.getTotalSteps()).isEqualTo(10);

    stages.denoise(jobId, 10, 10);
    stages.image(jobId, 0);
    stages.finish(jobId, JobState.SUCCEEDED, "");

    assertThat(stream.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(stream.events).noneMatch(GenerateEvent::hasAccepted);
    assertThat(stream.events).filteredOn(GenerateEvent::hasImage).hasSize(1);
    assertThat(stream.events.getLast().getCompleted().getJob().getState())
        .isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void watchJob_ofAFinishedJob_sendsItsImagesAndCompletesAtOnce() {
    String jobId = submit();
    stages.runToSuccess(jobId, 2);

    StreamRecorder stream = watch(jobId);

    assertThat(stream.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(stream.events).filteredOn(GenerateEvent::hasImage).hasSize(2);
    assertThat(stream.events.getLast().hasCompleted()).isTrue();
  }

  @Test
  void watchJob_unknownJob_isNotFound() {
    assertThat(watch("no-such-job").status().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void cancel_queuedJob_endsItCancelledAndEndsItsStreams() {
    StreamRecorder generate = new StreamRecorder();
    async.generate(GenerateRequest.newBuilder().setPrompt("x").build(), generate);
    String jobId = generate.acceptedJobId();
    StreamRecorder watcher = watch(jobId);

    Job cancelled = blocking.cancel(CancelRequest.newBuilder().setJobId(jobId).build());

    assertThat(cancelled.getState()).isEqualTo(JobState.CANCELLED);
    assertThat(cancelled.getReason()).isEqualTo(OwnedJobs.CANCEL_REASON);
    assertThat(states(cancelled)).containsExactly(JobState.QUEUED, JobState.CANCELLED);
    Status generateEnd = generate.status();
    assertThat(generateEnd.getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(generateEnd.getDescription()).contains(jobId, "was cancelled", "Cancel request");
    assertThat(watcher.status().getCode()).isEqualTo(Status.Code.CANCELLED);
    // A stage that gets to it later cannot move it on.
    stages.advanceTo(jobId, JobState.TOKENIZING);
    assertThat(getJob(jobId).getState()).isEqualTo(JobState.CANCELLED);
  }

  @Test
  void cancel_finishedJob_returnsItUnchanged() {
    String jobId = submit();
    stages.runToSuccess(jobId, 1);

    Job job = blocking.cancel(CancelRequest.newBuilder().setJobId(jobId).build());

    assertThat(job.getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.getImagesList()).hasSize(1);
    assertThat(getJob(jobId)).isEqualTo(job);
  }

  @Test
  void cancel_unknownOrMalformedJobId_isNotFoundOrInvalid() {
    assertThatThrownBy(() -> blocking.cancel(CancelRequest.newBuilder().setJobId("nope").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThatThrownBy(() -> blocking.cancel(CancelRequest.newBuilder().setJobId(" ").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void generate_callDeadline_becomesTheJobsDeadline() throws Exception {
    long before = System.currentTimeMillis();
    StreamRecorder stream = new StreamRecorder();
    async
        .withDeadlineAfter(45, TimeUnit.SECONDS)
        .generate(GenerateRequest.newBuilder().setPrompt("x").build(), stream);
    String jobId = stream.acceptedJobId();

    JobSpec spec = stages.store.find(jobId).orElseThrow().spec();
    assertThat(spec.getDeadlineUnixMs())
        .isBetween(before + 30_000, System.currentTimeMillis() + 45_000);
    blocking.cancel(CancelRequest.newBuilder().setJobId(jobId).build());
  }

  @Test
  void submit_callDeadline_boundsOnlyTheCall_theJobGetsTheJobTimeout() {
    String jobId =
        blocking
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .submit(GenerateRequest.newBuilder().setPrompt("x").build())
            .getJobId();

    JobSpec spec = stages.store.find(jobId).orElseThrow().spec();
    assertThat(spec.getDeadlineUnixMs() - spec.getAcceptedAtUnixMs())
        .isEqualTo(config.gateway().jobTimeout().toMillis());
  }

  @Test
  void unknownScheduler_isInvalidAndNamesTheKnownOnes() {
    assertThatThrownBy(
            () ->
                blocking.submit(
                    GenerateRequest.newBuilder().setPrompt("x").setSchedulerValue(42).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("scheduler 42", "EULER");
            });
  }

  @Test
  void listModels_namesEachModelWithItsDefaults() {
    List<ModelInfo> models =
        blocking.listModels(ListModelsRequest.getDefaultInstance()).getModelsList();

    assertThat(models).hasSize(1);
    ModelInfo model = models.getFirst();
    assertThat(model.getName()).isEqualTo("tiny-random");
    assertThat(model.getIsDefault()).isTrue();
    assertThat(model.getDefaultWidth()).isEqualTo(64);
    assertThat(model.getDefaultHeight()).isEqualTo(64);
    assertThat(model.getDefaultScheduler()).isEqualTo(Scheduler.DDIM);
  }
}
