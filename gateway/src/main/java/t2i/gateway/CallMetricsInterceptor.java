package t2i.gateway;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import jakarta.inject.Inject;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Counts every call of the job API by method and status code ({@code t2i.gateway.calls}), every
 * refused job submission by its reason ({@code t2i.gateway.jobs.refused}: the {@code ErrorInfo}
 * reason of a {@code RESOURCE_EXHAUSTED}, or the status code of a request refused as invalid or
 * unauthenticated), and the streams open now ({@code t2i.gateway.streams.open}). Outermost of the
 * gateway's interceptors, so that it sees the refusals of the others. Thread-safe.
 */
@ApplicationScoped
public class CallMetricsInterceptor implements ServerInterceptor, Prioritized {

  /** The methods that submit jobs: their refusals are refused jobs. */
  private static final Set<String> SUBMITTING = Set.of("Generate", "Submit");

  private static final Set<Status.Code> REFUSING =
      Set.of(
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.INVALID_ARGUMENT,
          Status.Code.UNAUTHENTICATED,
          Status.Code.PERMISSION_DENIED);

  private final MeterRegistry registry;
  private final AtomicInteger openStreams = new AtomicInteger();

  @Inject
  CallMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("t2i.gateway.streams.open", openStreams, AtomicInteger::get)
        .description("Server-streaming calls (Generate, WatchJob) open on this replica")
        .register(registry);
    for (Refusals.Reason reason : Refusals.Reason.values()) {
      refused(reason.name());
    }
    for (Status.Code code : REFUSING) {
      if (code != Status.Code.RESOURCE_EXHAUSTED) {
        refused(code.name());
      }
    }
  }

  @Override
  public int getPriority() {
    return TextToImageService.CALL_METRICS_PRIORITY;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
    if (ApiKeyInterceptor.OPEN_SERVICES.contains(method.getServiceName())) {
      return next.startCall(call, headers);
    }
    String name = method.getBareMethodName() == null ? "unknown" : method.getBareMethodName();
    boolean streaming = method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
    AtomicBoolean ended = new AtomicBoolean();
    if (streaming) {
      openStreams.incrementAndGet();
    }
    Runnable streamEnded =
        () -> {
          if (streaming && ended.compareAndSet(false, true)) {
            openStreams.decrementAndGet();
          }
        };
    ServerCall<ReqT, RespT> counted =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            count(name, status, trailers);
            streamEnded.run();
            super.close(status, trailers);
          }
        };
    ServerCall.Listener<ReqT> delegate;
    try {
      delegate = next.startCall(counted, headers);
    } catch (RuntimeException | Error e) {
      streamEnded.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          // A cancelled call may never be closed by the service.
          streamEnded.run();
        }
      }
    };
  }

  private void count(String method, Status status, Metadata trailers) {
    Counter.builder("t2i.gateway.calls")
        .description("Calls of the job API by method and final status code")
        .tags("method", method, "code", status.getCode().name())
        .register(registry)
        .increment();
    if (SUBMITTING.contains(method) && REFUSING.contains(status.getCode())) {
      String reason =
          status.getCode() == Status.Code.RESOURCE_EXHAUSTED
              ? refusalReason(status, trailers)
              : status.getCode().name();
      refused(reason).increment();
    }
  }

  private Counter refused(String reason) {
    return Counter.builder("t2i.gateway.jobs.refused")
        .description("Job submissions refused, by the limit that refused them or by status code")
        .tags("reason", reason.toLowerCase(Locale.ROOT))
        .register(registry);
  }

  /** The ErrorInfo reason of a refusal, or the status code's name when it has none. */
  private static String refusalReason(Status status, Metadata trailers) {
    com.google.rpc.@Nullable Status details = StatusProto.fromStatusAndTrailers(status, trailers);
    if (details != null) {
      for (Any detail : details.getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          try {
            return detail.unpack(ErrorInfo.class).getReason();
          } catch (InvalidProtocolBufferException e) {
            break;
          }
        }
      }
    }
    return status.getCode().name();
  }
}
