package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.TextToImageGrpc;

/**
 * The bound on calls one replica holds, on a real gRPC server in this JVM: unary calls that wait
 * until the test lets them finish, streams that stay open until the test ends them.
 */
class CallLimitInterceptorTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger arrived = new AtomicInteger();
  private final List<StreamObserver<GenerateEvent>> openStreams = new ArrayList<>();
  private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    ServerServiceDefinition jobs =
        ServerServiceDefinition.builder(TextToImageGrpc.SERVICE_NAME)
            .addMethod(
                TextToImageGrpc.getGetJobMethod(),
                ServerCalls.asyncUnaryCall(
                    (GetJobRequest request, StreamObserver<Job> out) -> {
                      arrived.incrementAndGet();
                      try {
                        release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      out.onNext(Job.getDefaultInstance());
                      out.onCompleted();
                    }))
            .addMethod(
                TextToImageGrpc.getGenerateMethod(),
                ServerCalls.asyncServerStreamingCall(
                    (GenerateRequest request, StreamObserver<GenerateEvent> out) -> {
                      synchronized (openStreams) {
                        openStreams.add(out);
                      }
                      out.onNext(GenerateEvent.getDefaultInstance());
                    }))
            .build();
    ServerServiceDefinition health =
        ServerServiceDefinition.builder(HealthGrpc.SERVICE_NAME)
            .addMethod(
                HealthGrpc.getCheckMethod(),
                ServerCalls.asyncUnaryCall(
                    (HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) -> {
                      out.onNext(HealthCheckResponse.getDefaultInstance());
                      out.onCompleted();
                    }))
            .build();
    CallLimitInterceptor limits = new CallLimitInterceptor(2, 1, Duration.ofMillis(1500));
    String name = "call-limits-" + UUID.randomUUID();
    server =
        InProcessServerBuilder.forName(name)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .addService(ServerInterceptors.intercept(jobs, limits))
            .addService(ServerInterceptors.intercept(health, limits))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    callers.shutdownNow();
  }

  /** Starts a GetJob call that waits in the server; the test ends it. */
  private void startGetJobInBackground() {
    callers.execute(
        () -> {
          try {
            TextToImageGrpc.newBlockingStub(channel).getJob(GetJobRequest.getDefaultInstance());
          } catch (StatusRuntimeException endedByTheTest) {
            // Released or cut off when the test ends; what it answers is not under test here.
          }
        });
  }

  private Future<Job> getJobInBackground() {
    return callers.submit(
        () -> TextToImageGrpc.newBlockingStub(channel).getJob(GetJobRequest.getDefaultInstance()));
  }

  private Job getJob() {
    return TextToImageGrpc.newBlockingStub(channel)
        .withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .getJob(GetJobRequest.getDefaultInstance());
  }

  private int openStreamCount() {
    synchronized (openStreams) {
      return openStreams.size();
    }
  }

  @Test
  void unaryCallsBeyondTheLimit_areRefusedAtOnce_withAHintWhenToRetry() {
    startGetJobInBackground();
    startGetJobInBackground();
    await().atMost(WAIT).until(() -> arrived.get() == 2);

    assertThatThrownBy(this::getJob)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription())
                  .contains("t2i.gateway.max-concurrent-calls");
              com.google.rpc.Status details = StatusProto.fromThrowable(e);
              assertThat(details.getDetailsList())
                  .as("a retry hint, and the limit's name for programs")
                  .satisfiesExactly(
                      retry -> assertThat(retry.is(RetryInfo.class)).isTrue(),
                      info ->
                          assertThat(info.unpack(ErrorInfo.class).getReason())
                              .isEqualTo("TOO_MANY_CALLS"));
            });
  }

  @Test
  void aFinishedCall_givesItsPlaceBack() throws Exception {
    Future<Job> first = getJobInBackground();
    Future<Job> second = getJobInBackground();
    await().atMost(WAIT).until(() -> arrived.get() == 2);
    release.countDown();
    first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    second.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

    for (int i = 0; i < 5; i++) {
      assertThat(getJob()).isNotNull();
    }
  }

  @Test
  void streamsHaveTheirOwnLimit_andACancelledStreamGivesItsPlaceBack() throws Exception {
    io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
    Iterator<GenerateEvent> open =
        context.call(
            () ->
                TextToImageGrpc.newBlockingStub(channel)
                    .generate(GenerateRequest.getDefaultInstance()));
    open.next();
    await().atMost(WAIT).until(() -> openStreamCount() == 1);

    assertThatThrownBy(
            () ->
                TextToImageGrpc.newBlockingStub(channel)
                    .generate(GenerateRequest.getDefaultInstance())
                    .next())
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription()).contains("t2i.gateway.max-streams");
            });
    // Unary calls are not held back by streams.
    release.countDown();
    assertThat(getJob()).isNotNull();

    context.cancel(null);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        TextToImageGrpc.newBlockingStub(channel)
                            .generate(GenerateRequest.getDefaultInstance())
                            .next())
                    .isNotNull());
  }

  @Test
  void healthChecks_areNeverRefused() {
    startGetJobInBackground();
    startGetJobInBackground();
    await().atMost(WAIT).until(() -> arrived.get() == 2);

    for (int i = 0; i < 5; i++) {
      assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()))
          .isNotNull();
    }
  }
}
