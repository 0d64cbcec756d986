package t2i.gateway;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.Optional;
import org.jboss.logging.Logger;
import t2i.pipeline.job.JobView;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.Accepted;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.SubmitResponse;
import t2i.v1.TextToImageGrpc;
import t2i.v1.TokenizeRequest;
import t2i.v1.TokenizeResponse;

/**
 * The public gRPC API. Calls block on Redis and on Kafka acknowledgements, so they run on worker
 * threads ({@code @Blocking}), never on the event loop.
 */
@GrpcService
public class TextToImageService extends TextToImageGrpc.TextToImageImplBase {

  private static final Logger LOG = Logger.getLogger(TextToImageService.class);

  private final Gateway gateway;

  TextToImageService(Gateway gateway) {
    this.gateway = gateway;
  }

  @Override
  @Blocking
  public void generate(GenerateRequest request, StreamObserver<GenerateEvent> responses) {
    try {
      GenerateRequest resolved = gateway.validator().resolve(request);
      JobSpec spec = gateway.submitter().record(resolved);
      GenerateStream stream =
          new GenerateStream(
              spec.getJobId(),
              (ServerCallStreamObserver<GenerateEvent>) responses,
              gateway.connections().store(),
              gateway.views());
      // Watch before publishing, so that no event of the job can pass unseen.
      gateway.watchers().add(stream);
      try {
        gateway.submitter().publish(spec);
      } catch (RuntimeException e) {
        gateway.watchers().remove(stream);
        throw e;
      }
      stream.accepted(
          Accepted.newBuilder().setJobId(spec.getJobId()).setEffectiveRequest(resolved).build());
    } catch (RuntimeException e) {
      responses.onError(toStatus(e));
    }
  }

  @Override
  @Blocking
  public void submit(GenerateRequest request, StreamObserver<SubmitResponse> response) {
    try {
      JobSpec spec = gateway.submitter().record(gateway.validator().resolve(request));
      gateway.submitter().publish(spec);
      response.onNext(SubmitResponse.newBuilder().setJobId(spec.getJobId()).build());
      response.onCompleted();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
    }
  }

  @Override
  @Blocking
  public void getJob(GetJobRequest request, StreamObserver<Job> response) {
    try {
      if (request.getJobId().isBlank()) {
        throw RequestValidator.invalid("job_id must not be empty");
      }
      Optional<JobView> view = gateway.connections().store().find(request.getJobId());
      Optional<Job> job = view.flatMap(v -> gateway.views().withImages(v));
      if (job.isEmpty()) {
        throw RequestValidator.notFound(
            "job "
                + request.getJobId()
                + " does not exist or its results have expired; results are kept for the"
                + " configured retention (t2i.redis.job-retention)");
      }
      response.onNext(job.get());
      response.onCompleted();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
    }
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

  /** Client errors pass through; anything else is logged and reported without internals. */
  private static StatusRuntimeException toStatus(RuntimeException e) {
    if (e instanceof StatusRuntimeException status) {
      return status;
    }
    LOG.error("Request failed", e);
    return Status.INTERNAL
        .withDescription("internal error; the failure was logged by the gateway")
        .asRuntimeException();
  }
}
