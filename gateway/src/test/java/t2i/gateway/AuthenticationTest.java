package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.v1.CancelRequest;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.ListModelsRequest;
import t2i.v1.TextToImageGrpc;
import t2i.v1.WatchJobRequest;

/**
 * API keys and tenant isolation: calls need a valid key, each tenant sees only its own jobs, and
 * the health and reflection services answer without a key.
 */
@QuarkusTest
@TestProfile(AuthenticatedProfile.class)
@QuarkusTestResource(LocalStackTestResource.class)
class AuthenticationTest {

  @GrpcClient("t2i")
  Channel channel;

  private TextToImageGrpc.TextToImageBlockingStub anonymous;
  private TextToImageGrpc.TextToImageBlockingStub alice;
  private TextToImageGrpc.TextToImageBlockingStub bob;

  @BeforeEach
  void connect() {
    anonymous = TextToImageGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    alice = AuthenticatedProfile.withBearer(anonymous, AuthenticatedProfile.ALICE_KEY);
    bob =
        AuthenticatedProfile.withHeader(
            anonymous, ApiKeyInterceptor.X_API_KEY, AuthenticatedProfile.BOB_KEY);
  }

  private static void assertStatus(ThrowingCallable call, Status.Code code, String... fragments) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              if (fragments.length > 0) {
                assertThat(e.getStatus().getDescription()).contains(fragments);
              }
            });
  }

  private static GenerateRequest request() {
    return GenerateRequest.newBuilder().setPrompt("a red circle").build();
  }

  @Test
  void callWithoutKey_isUnauthenticatedAndSaysHowToSendOne() {
    assertStatus(
        () -> anonymous.submit(request()),
        Status.Code.UNAUTHENTICATED,
        "authorization: Bearer KEY",
        "x-api-key");
    assertStatus(
        () -> anonymous.listModels(ListModelsRequest.getDefaultInstance()),
        Status.Code.UNAUTHENTICATED);
  }

  @Test
  void callWithWrongKey_isUnauthenticated() {
    assertStatus(
        () -> AuthenticatedProfile.withBearer(anonymous, "t2i_guessed").submit(request()),
        Status.Code.UNAUTHENTICATED,
        "not valid");
    assertStatus(
        () ->
            AuthenticatedProfile.withBearer(anonymous, "x".repeat(5000))
                .getJob(GetJobRequest.newBuilder().setJobId("j").build()),
        Status.Code.UNAUTHENTICATED);
  }

  @Test
  void keyInEitherHeader_authenticatesAsItsTenant() {
    String jobId = alice.submit(request()).getJobId();
    Job job = alice.getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
    assertThat(job.getState()).isEqualTo(JobState.QUEUED);

    String bobsJob = bob.submit(request()).getJobId();
    assertThat(bob.getJob(GetJobRequest.newBuilder().setJobId(bobsJob).build()).getJobId())
        .isEqualTo(bobsJob);
  }

  @Test
  void anotherTenantsJob_isNotFound_forGetWatchAndCancel() {
    String alicesJob = alice.submit(request()).getJobId();

    assertStatus(
        () -> bob.getJob(GetJobRequest.newBuilder().setJobId(alicesJob).build()),
        Status.Code.NOT_FOUND,
        alicesJob,
        "does not exist");
    assertStatus(
        () -> bob.watchJob(WatchJobRequest.newBuilder().setJobId(alicesJob).build()).hasNext(),
        Status.Code.NOT_FOUND);
    assertStatus(
        () -> bob.cancel(CancelRequest.newBuilder().setJobId(alicesJob).build()),
        Status.Code.NOT_FOUND);
    // Bob's attempt changed nothing: Alice's job still runs, and Alice can cancel it.
    assertThat(alice.getJob(GetJobRequest.newBuilder().setJobId(alicesJob).build()).getState())
        .isEqualTo(JobState.QUEUED);
    assertThat(alice.cancel(CancelRequest.newBuilder().setJobId(alicesJob).build()).getState())
        .isEqualTo(JobState.CANCELLED);
  }

  @Test
  void sameRequestId_inTwoTenants_makesTwoJobs() {
    String requestId = UUID.randomUUID().toString();
    GenerateRequest request = request().toBuilder().setRequestId(requestId).build();

    String alicesJob = alice.submit(request).getJobId();
    String bobsJob = bob.submit(request).getJobId();

    assertThat(bobsJob).isNotEqualTo(alicesJob);
    assertThat(alice.submit(request).getJobId()).isEqualTo(alicesJob);
  }

  @Test
  void healthService_answersWithoutKey_andReportsServing() {
    ServingStatus overall =
        HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService("").build())
            .getStatus();
    ServingStatus api =
        HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(TextToImageGrpc.SERVICE_NAME).build())
            .getStatus();

    assertThat(overall).isEqualTo(ServingStatus.SERVING);
    assertThat(api).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void reflectionService_answersWithoutKey_andListsTheApi() throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse response) {
                    answer.complete(response);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onCompleted();

    List<String> services =
        answer.get(30, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
            .map(ServiceResponse::getName)
            .toList();
    assertThat(services).contains(TextToImageGrpc.SERVICE_NAME, "grpc.health.v1.Health");
  }
}
