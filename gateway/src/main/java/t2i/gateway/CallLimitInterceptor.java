package t2i.gateway;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds the calls this replica holds: at most {@code t2i.gateway.max-concurrent-calls} unary calls
 * and {@code t2i.gateway.max-streams} streaming calls are open at once; beyond that a call is
 * refused with {@code RESOURCE_EXHAUSTED} at once. Quarkus queues {@code @Blocking} work for its
 * worker pool without a bound, so the bound is kept here, on the event loop, before that queue.
 * Health and reflection calls are never refused. Thread-safe.
 */
@ApplicationScoped
public class CallLimitInterceptor implements ServerInterceptor, Prioritized {

  private final Semaphore unary;
  private final Semaphore streams;
  private final int maxUnary;
  private final int maxStreams;
  private final Duration retryAfter;

  @Inject
  CallLimitInterceptor(GatewayConfig config) {
    this(
        config.gateway().maxConcurrentCalls(),
        config.gateway().maxStreams(),
        config.gateway().quota().retryAfter());
  }

  CallLimitInterceptor(int maxUnary, int maxStreams, Duration retryAfter) {
    if (maxUnary < 1 || maxStreams < 1) {
      throw new IllegalArgumentException(
          "maxUnary and maxStreams must be positive, were " + maxUnary + " and " + maxStreams);
    }
    this.maxUnary = maxUnary;
    this.maxStreams = maxStreams;
    this.unary = new Semaphore(maxUnary);
    this.streams = new Semaphore(maxStreams);
    this.retryAfter = retryAfter;
  }

  @Override
  public int getPriority() {
    // After authentication, before Quarkus' blocking hand-over.
    return TextToImageService.CALL_LIMIT_PRIORITY;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (ApiKeyInterceptor.OPEN_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    boolean isUnary = call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY;
    Semaphore permits = isUnary ? unary : streams;
    if (!permits.tryAcquire()) {
      StatusRuntimeException refusal =
          Refusals.resourceExhausted(
              isUnary ? Refusals.Reason.TOO_MANY_CALLS : Refusals.Reason.TOO_MANY_STREAMS,
              isUnary
                  ? "this gateway replica already works on "
                      + maxUnary
                      + " calls (t2i.gateway.max-concurrent-calls); retry shortly"
                  : "this gateway replica already serves "
                      + maxStreams
                      + " streams (t2i.gateway.max-streams); retry shortly, or use Submit and"
                      + " GetJob",
              retryAfter);
      call.close(refusal.getStatus(), refusal.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release =
        () -> {
          if (released.compareAndSet(false, true)) {
            permits.release();
          }
        };
    ServerCall.Listener<ReqT> delegate;
    try {
      delegate = next.startCall(call, headers);
    } catch (RuntimeException | Error e) {
      release.run();
      throw e;
    }
    // Every call ends with exactly one of onComplete and onCancel.
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          release.run();
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          release.run();
        }
      }
    };
  }
}
