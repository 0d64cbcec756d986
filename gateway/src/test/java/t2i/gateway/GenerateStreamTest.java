package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import t2i.local.LocalRedis;
import t2i.pipeline.failure.Failures;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.QueuePlace;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobEvent;
import t2i.pipeline.v1.JobFinished;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.StepProgress;
import t2i.v1.Accepted;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;
import t2i.v1.Preview;
import t2i.v1.QueuePosition;
import t2i.v1.TextToImageGrpc;

/**
 * One stream, between a real gRPC client and server in this JVM (the in-process transport, whose
 * flow control follows exactly what the client asked for) and a real Redis for the job records. The
 * test plays the event thread: it hands the stream events as the listener would.
 */
class GenerateStreamTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private static LocalRedis redis;
  private static UnifiedJedis jedis;
  private static JobStore store;

  private final JobWatchers watchers = new JobWatchers(10, Duration.ofSeconds(1));
  private final BlockingQueue<GenerateStream> opened = new LinkedBlockingQueue<>();
  private final HeldReads reads = new HeldReads();
  private Server server;
  private ManagedChannel channel;
  private JobSpec spec;

  /** Runs the streams' store reads when the test says so, as a slow store would. */
  private static final class HeldReads implements Executor {
    private final Queue<Runnable> pending = new ConcurrentLinkedQueue<>();

    @Override
    public void execute(Runnable task) {
      pending.add(task);
    }

    void runAll() {
      Runnable task;
      while ((task = pending.poll()) != null) {
        task.run();
      }
    }
  }

  /** The client side, reading only as many events as it asked for. */
  private static final class Reader extends ClientCall.Listener<GenerateEvent> {
    final BlockingQueue<GenerateEvent> events = new LinkedBlockingQueue<>();
    final AtomicReference<Status> closed = new AtomicReference<>();

    @Override
    public void onMessage(GenerateEvent message) {
      events.add(message);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      closed.set(status);
    }

    GenerateEvent next() throws InterruptedException {
      GenerateEvent event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(event).as("an event within " + WAIT).isNotNull();
      return event;
    }

    Status awaitClose() {
      await().atMost(WAIT).until(() -> closed.get() != null);
      return Objects.requireNonNull(closed.get());
    }
  }

  @BeforeAll
  static void startRedis() {
    redis = LocalRedis.start();
    jedis = StageConnections.openRedis(redis.url());
    store = new JobStore(jedis, Duration.ofMinutes(5), InstantSource.system());
  }

  @AfterAll
  static void stopRedis() {
    try {
      jedis.close();
    } finally {
      redis.close();
    }
  }

  @BeforeEach
  void startServer() throws Exception {
    spec =
        JobSpec.newBuilder()
            .setJobId(UUID.randomUUID().toString())
            .setDeadlineUnixMs(System.currentTimeMillis() + 60_000)
            .build();
    store.create(spec);
    JobViews views =
        new JobViews(store, place -> Objects.requireNonNull(positions.get()).of(place));
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(TextToImageGrpc.SERVICE_NAME)
            .addMethod(
                TextToImageGrpc.getGenerateMethod(),
                ServerCalls.asyncServerStreamingCall(
                    (GenerateRequest request, io.grpc.stub.StreamObserver<GenerateEvent> out) -> {
                      GenerateStream stream =
                          new GenerateStream(
                                  spec,
                                  true,
                                  (ServerCallStreamObserver<GenerateEvent>) out,
                                  store,
                                  views,
                                  watchers,
                                  reads,
                                  InstantSource.system())
                              .listen();
                      watchers.add(stream);
                      opened.add(stream);
                    }))
            .build();
    String name = "generate-stream-" + UUID.randomUUID();
    server = InProcessServerBuilder.forName(name).addService(service).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stopServer() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private Reader open(int initialRequest) {
    Reader reader = new Reader();
    ClientCall<GenerateRequest, GenerateEvent> call =
        channel.newCall(TextToImageGrpc.getGenerateMethod(), CallOptions.DEFAULT);
    call.start(reader, new Metadata());
    call.sendMessage(GenerateRequest.getDefaultInstance());
    call.halfClose();
    call.request(initialRequest);
    calls.add(call);
    return reader;
  }

  private final ArrayDeque<ClientCall<GenerateRequest, GenerateEvent>> calls = new ArrayDeque<>();

  private GenerateStream serverSide() throws InterruptedException {
    GenerateStream stream = opened.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(stream).as("the server opened the stream").isNotNull();
    return stream;
  }

  private JobEvent step(int step, int total) {
    return JobEvent.newBuilder()
        .setJobId(spec.getJobId())
        .setStepProgress(StepProgress.newBuilder().setStep(step).setTotalSteps(total))
        .build();
  }

  /** Stores an image as the diffusion worker does: its job's end announces it. */
  private void storeImage(int index) {
    ImageReady ready = TestStages.imageReady(spec.getJobId(), index);
    store.putImage(spec.getJobId(), ready, TestStages.PNG);
  }

  private JobEvent finished(JobState state, String reason) {
    store.finish(spec.getJobId(), state, reason);
    return JobEvent.newBuilder()
        .setJobId(spec.getJobId())
        .setFinished(JobFinished.newBuilder().setState(state).setReason(reason))
        .build();
  }

  private Accepted accepted() {
    return Accepted.newBuilder().setJobId(spec.getJobId()).build();
  }

  /** What the queue measurements say; nothing unless a test says otherwise. */
  private final AtomicReference<QueuePositions> positions =
      new AtomicReference<>(QueuePositions.UNKNOWN);

  @Test
  void aWaitingJob_showsItsPlaceInTheQueue_againEachTimeItMoves_andNotInBetween() throws Exception {
    store.markPublished(spec.getJobId(), new QueuePlace("t2i.jobs", 0, 10, JobState.QUEUED));
    AtomicLong ahead = new AtomicLong(3);
    positions.set(
        place ->
            Optional.of(
                QueuePosition.newBuilder()
                    .setStage("tokenizer-service")
                    .setJobsAhead(ahead.get() + place.offset() - 10)
                    .build()));
    Reader reader = open(10);
    GenerateStream stream = serverSide();
    stream.accepted(accepted());
    assertThat(reader.next().hasAccepted()).isTrue();

    stream.reconcile();
    reads.runAll();
    GenerateEvent first = reader.next();
    assertThat(first.getProgress().getState()).isEqualTo(JobState.QUEUED);
    assertThat(first.getProgress().getQueuePosition().getStage()).isEqualTo("tokenizer-service");
    assertThat(first.getProgress().getQueuePosition().getJobsAhead()).isEqualTo(3);

    stream.reconcile();
    reads.runAll();
    assertThat(reader.events.poll(200, TimeUnit.MILLISECONDS))
        .as("no event while the job's place is the same")
        .isNull();

    ahead.set(1);
    stream.reconcile();
    reads.runAll();
    assertThat(reader.next().getProgress().getQueuePosition().getJobsAhead()).isEqualTo(1);

    // Once a stage has the job, it no longer waits anywhere.
    store.advance(spec.getJobId(), JobState.TOKENIZING);
    assertThat(store.find(spec.getJobId()).orElseThrow().waitingIn()).isEmpty();
  }

  @Test
  void aStateThatNoEventAnnounces_showsWhenReconciliationFindsIt_once() throws Exception {
    positions.set(place -> Optional.empty());
    Reader reader = open(10);
    GenerateStream stream = serverSide();
    stream.accepted(accepted());
    assertThat(reader.next().hasAccepted()).isTrue();

    // The encoder records ENCODING without an event.
    store.advance(spec.getJobId(), JobState.TOKENIZING);
    store.advance(spec.getJobId(), JobState.ENCODING);
    stream.reconcile();
    reads.runAll();
    assertThat(reader.next().getProgress().getState()).isEqualTo(JobState.ENCODING);

    stream.reconcile();
    reads.runAll();
    assertThat(reader.events.poll(200, TimeUnit.MILLISECONDS))
        .as("no second event for the same state")
        .isNull();
  }

  @Test
  void forASlowClient_previewsCollapseIntoTheLatest_likeProgress() throws Exception {
    Reader reader = open(1);
    GenerateStream stream = serverSide();
    stream.accepted(accepted());
    assertThat(reader.next().hasAccepted()).isTrue();

    for (int step = 1; step <= 3; step++) {
      stream.onEvent(step(step, 10));
      stream.onEvent(
          JobEvent.newBuilder()
              .setJobId(spec.getJobId())
              .setPreview(Preview.newBuilder().setStep(step).setTotalSteps(10))
              .build());
    }
    calls.getLast().request(10);

    GenerateEvent preview = reader.next();
    GenerateEvent progress = reader.next();
    assertThat(preview.getPreview().getStep()).isEqualTo(3);
    assertThat(progress.getProgress().getStep()).isEqualTo(3);
    assertThat(reader.events.poll(200, TimeUnit.MILLISECONDS))
        .as("the earlier steps' previews and progress were superseded")
        .isNull();
  }

  @Test
  void acceptedIsTheFirstEvent_evenWhenProgressArrivedBeforeIt() throws Exception {
    Reader reader = open(10);
    GenerateStream stream = serverSide();

    stream.onEvent(step(1, 10));
    assertThat(reader.events.poll(200, TimeUnit.MILLISECONDS))
        .as("nothing before Accepted")
        .isNull();
    stream.accepted(accepted());

    assertThat(reader.next().hasAccepted()).isTrue();
    assertThat(reader.next().getProgress().getStep()).isEqualTo(1);
  }

  @Test
  void aSlowReader_getsOnlyTheLatestProgress_thenEveryImageInOrder_thenTheCompletion()
      throws Exception {
    Reader reader = open(1);
    GenerateStream stream = serverSide();
    stream.accepted(accepted());
    assertThat(reader.next().hasAccepted()).isTrue();

    // The client reads nothing more while the job runs to its end.
    for (int s = 1; s <= 50; s++) {
      stream.onEvent(step(s, 50));
    }
    storeImage(0);
    storeImage(1);
    stream.onEvent(finished(JobState.SUCCEEDED, ""));
    reads.runAll();
    calls.getFirst().request(100);

    GenerateEvent progress = reader.next();
    assertThat(progress.getProgress().getStep()).isEqualTo(50);
    assertThat(List.of(reader.next(), reader.next()))
        .extracting(e -> e.getImage().getIndex())
        .containsExactly(0, 1);
    assertThat(reader.next().getCompleted().getJob().getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(reader.awaitClose().isOk()).isTrue();
    assertThat(reader.events).isEmpty();
    assertThat(watchers.size()).isZero();
  }

  @Test
  void storeReads_neverRunOnTheEventThread() throws Exception {
    Reader reader = open(10);
    GenerateStream stream = serverSide();
    stream.accepted(accepted());
    reader.next();

    storeImage(0);
    stream.onEvent(finished(JobState.SUCCEEDED, ""));
    stream.reconcile();
    assertThat(reader.events.poll(200, TimeUnit.MILLISECONDS))
        .as("the image waits for a read off the event thread")
        .isNull();

    reads.runAll();
    assertThat(reader.next().getImage().getIndex()).isZero();
  }

  @Test
  void aClientThatCancels_leavesTheWatchers_andLaterEventsAreIgnored() throws Exception {
    Reader reader = open(10);
    GenerateStream stream = serverSide();
    stream.accepted(accepted());
    reader.next();

    calls.getFirst().cancel("the user closed the page", null);

    await().atMost(WAIT).until(stream::isDone);
    assertThat(watchers.size()).isZero();
    stream.onEvent(step(2, 10));
    assertThat(reader.awaitClose().getCode()).isEqualTo(Status.Code.CANCELLED);
  }

  @Test
  void aJobThatFailedForItsOwnReason_endsWithACodeClientsDoNotRetry() throws Exception {
    Reader reader = open(10);
    GenerateStream stream = serverSide();
    stream.accepted(accepted());

    stream.onEvent(finished(JobState.FAILED, "model 'x' is not served by any diffusion worker"));
    reads.runAll();

    reader.next();
    Status status = reader.awaitClose();
    assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(status.getDescription()).contains(spec.getJobId(), "model 'x'");
  }

  @Test
  void aJobThatFailedInsideT2i_endsUnavailable() throws Exception {
    Reader reader = open(10);
    GenerateStream stream = serverSide();
    stream.accepted(accepted());

    stream.onEvent(finished(JobState.FAILED, Failures.internalError("encoder-worker")));
    reads.runAll();

    reader.next();
    assertThat(reader.awaitClose().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }
}
