package t2i.gateway;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.quarkus.grpc.runtime.Interceptors;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.jboss.logging.Logger;
import t2i.pipeline.failure.FailureKind;
import t2i.pipeline.failure.Failures;
import t2i.pipeline.job.JobView;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.Accepted;
import t2i.v1.CancelRequest;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.ListJobsRequest;
import t2i.v1.ListJobsResponse;
import t2i.v1.ListModelsRequest;
import t2i.v1.ListModelsResponse;
import t2i.v1.SubmitResponse;
import t2i.v1.TextToImageGrpc;
import t2i.v1.TokenizeRequest;
import t2i.v1.TokenizeResponse;
import t2i.v1.WatchJobRequest;

/**
 * The public gRPC API. Every call runs as the tenant its API key stands for ({@link
 * ApiKeyInterceptor}) and sees only that tenant's jobs. Calls block on Redis and on Kafka
 * acknowledgements, so they run on worker threads ({@code @Blocking}), never on the event loop.
 *
 * <p>The gateway's one adapter to Quarkus' gRPC runtime: it registers the service with its
 * interceptors and reports the gateway's health to the standard gRPC health service. Everything
 * else in the gateway speaks plain grpc-java.
 */
@GrpcService
@RegisterInterceptor(CallMetricsInterceptor.class)
@RegisterInterceptor(ApiKeyInterceptor.class)
@RegisterInterceptor(CallLimitInterceptor.class)
public class TextToImageService implements TextToImageGrpc.AsyncService, BindableService {

  /** Call metrics outermost, so that they see every other interceptor's refusals. */
  static final int CALL_METRICS_PRIORITY = Interceptors.BLOCKING_HANDLER + 3;

  /** Authentication first, on the event loop, ahead of Quarkus' hand-over to worker threads. */
  static final int AUTHENTICATION_PRIORITY = Interceptors.BLOCKING_HANDLER + 2;

  /** Then the bound on calls, still before the hand-over's unbounded queue. */
  static final int CALL_LIMIT_PRIORITY = Interceptors.BLOCKING_HANDLER + 1;

  private static final Logger LOG = Logger.getLogger(TextToImageService.class);

  private final Gateway gateway;

  TextToImageService(Gateway gateway, Instance<GrpcHealthStorage> healthStorage) {
    this.gateway = gateway;
    gateway.reportHealthTo(serving -> report(healthStorage, serving));
  }

  private static void report(Instance<GrpcHealthStorage> storage, boolean serving) {
    if (storage.isResolvable()) {
      ServingStatus status = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      storage.get().setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, status);
      storage.get().setStatus(TextToImageGrpc.SERVICE_NAME, status);
    }
  }

  @Override
  public ServerServiceDefinition bindService() {
    return DecodingGuard.guard(TextToImageGrpc.bindService(this));
  }

  /**
   * The service as its gRPC server runs it, for the web API's in-process calls. The last
   * interceptor runs first: metrics see the refusals of the other two, as on the gRPC port.
   */
  @Produces
  @Singleton
  InterceptedService intercepted(
      CallMetricsInterceptor metrics, ApiKeyInterceptor keys, CallLimitInterceptor limit) {
    return new InterceptedService(ServerInterceptors.intercept(this, limit, keys, metrics));
  }

  @Override
  @Blocking
  public void generate(GenerateRequest request, StreamObserver<GenerateEvent> responses) {
    try {
      CallScope scope = CallScope.current();
      GenerateRequest resolved = gateway.validator().resolve(request);
      // The caller waits on this call for the images: past its deadline nobody wants them.
      JobIntake.Intake intake =
          gateway.intake().open(scope.tenant(), request, resolved, scope.deadline());
      switch (intake) {
        case JobIntake.Fresh fresh -> streamNewJob(fresh, responses);
        case JobIntake.Existing existing -> streamExistingJob(existing, responses);
      }
    } catch (RuntimeException e) {
      responses.onError(toStatus(e));
    }
  }

  /** Watches a new job, publishes it, then tells the client it was accepted. */
  private void streamNewJob(JobIntake.Fresh fresh, StreamObserver<GenerateEvent> responses) {
    JobSpec spec = fresh.spec();
    GenerateStream stream;
    try {
      stream = watch(spec, true, responses);
    } catch (RuntimeException e) {
      gateway.intake().abandon(fresh);
      throw e;
    }
    try {
      gateway.intake().publish(fresh);
    } catch (RuntimeException e) {
      gateway.watchers().remove(stream);
      throw e;
    }
    stream.accepted(accepted(spec));
  }

  /** A retried Generate: the first attempt's job, from wherever it is now. */
  private void streamExistingJob(
      JobIntake.Existing existing, StreamObserver<GenerateEvent> responses) {
    JobSpec spec = existing.job().spec();
    GenerateStream stream = watch(spec, true, responses);
    try {
      gateway.intake().publishIfNeeded(existing);
    } catch (RuntimeException e) {
      gateway.watchers().remove(stream);
      throw e;
    }
    stream.accepted(accepted(spec));
    stream.start();
  }

  @Override
  @Blocking
  public void submit(GenerateRequest request, StreamObserver<SubmitResponse> response) {
    try {
      String tenant = CallScope.current().tenant();
      GenerateRequest resolved = gateway.validator().resolve(request);
      // Submit returns at once: its deadline bounds the call, not the job.
      JobIntake.Intake intake = gateway.intake().open(tenant, request, resolved, Optional.empty());
      String jobId =
          switch (intake) {
            case JobIntake.Fresh fresh -> {
              gateway.intake().publish(fresh);
              yield fresh.spec().getJobId();
            }
            case JobIntake.Existing existing -> {
              gateway.intake().publishIfNeeded(existing);
              yield existing.job().spec().getJobId();
            }
          };
      response.onNext(SubmitResponse.newBuilder().setJobId(jobId).build());
      response.onCompleted();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
    }
  }

  @Override
  @Blocking
  public void getJob(GetJobRequest request, StreamObserver<Job> response) {
    try {
      JobView view = gateway.jobs().find(CallScope.current().tenant(), request.getJobId());
      Job job =
          gateway
              .views()
              .withImages(view)
              .orElseThrow(() -> OwnedJobs.notFound(request.getJobId()));
      response.onNext(job);
      response.onCompleted();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
    }
  }

  @Override
  @Blocking
  public void watchJob(WatchJobRequest request, StreamObserver<GenerateEvent> responses) {
    try {
      JobView view = gateway.jobs().find(CallScope.current().tenant(), request.getJobId());
      watch(view.spec(), false, responses).start();
    } catch (RuntimeException e) {
      responses.onError(toStatus(e));
    }
  }

  @Override
  @Blocking
  public void cancel(CancelRequest request, StreamObserver<Job> response) {
    try {
      JobView view = gateway.jobs().cancel(CallScope.current().tenant(), request.getJobId());
      Job job = gateway.views().withImages(view).orElseGet(() -> gateway.views().summary(view));
      response.onNext(job);
      response.onCompleted();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
    }
  }

  @Override
  @Blocking
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> response) {
    try {
      response.onNext(gateway.history().list(CallScope.current().tenant(), request));
      response.onCompleted();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
    }
  }

  @Override
  @Blocking
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> response) {
    response.onNext(gateway.catalog().response());
    response.onCompleted();
  }

  @Override
  @Blocking
  public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> response) {
    try {
      RequestValidator validator = gateway.validator();
      ModelDirectory model = validator.model(request.getModel());
      validator.requireLength("prompt", request.getPrompt());
      response.onNext(
          TokenInspector.inspect(
              model.name(),
              validator.tokenizer(model),
              request.getPrompt(),
              validator.maxChunks()));
      response.onCompleted();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
    }
  }

  /**
   * Opens a stream of a job's events on this call; it watches the job from now on.
   *
   * @param generate true for Generate, whose stream sends nothing before its Accepted event
   */
  private GenerateStream watch(
      JobSpec spec, boolean generate, StreamObserver<GenerateEvent> responses) {
    GenerateStream stream =
        new GenerateStream(
                spec,
                generate,
                (ServerCallStreamObserver<GenerateEvent>) responses,
                gateway.connections().store(),
                gateway.views(),
                gateway.watchers(),
                gateway.streamReads(),
                gateway.connections().clock())
            .listen();
    // Watch before anything can happen to the job, so that no event of it passes unseen.
    gateway.watchers().add(stream);
    return stream;
  }

  private static Accepted accepted(JobSpec spec) {
    return Accepted.newBuilder()
        .setJobId(spec.getJobId())
        .setEffectiveRequest(spec.getRequest())
        .build();
  }

  /**
   * Client errors pass through; Redis or Kafka being away is UNAVAILABLE (a client retries that);
   * anything else is logged and reported without internals.
   */
  static StatusRuntimeException toStatus(RuntimeException e) {
    if (e instanceof StatusRuntimeException status) {
      return status;
    }
    if (Failures.classify(e) == FailureKind.TRANSIENT) {
      LOG.warnf("Request failed for now: %s", e.toString());
      return Status.UNAVAILABLE
          .withDescription(
              "the gateway cannot reach its job store or queue right now; retry in a few seconds")
          .asRuntimeException();
    }
    LOG.error("Request failed", e);
    return Status.INTERNAL
        .withDescription("internal error; the failure was logged by the gateway")
        .asRuntimeException();
  }
}
