package t2i.gateway;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;

/**
 * Refusals of work the gateway has no room for: {@code RESOURCE_EXHAUSTED} with a description that
 * names the limit and its configuration key, and a retry hint twice over: a {@code
 * google.rpc.RetryInfo} detail for clients that read rich errors, and a plain {@code
 * retry-after-ms} trailer for those that do not. A {@code google.rpc.ErrorInfo} detail names the
 * limit in a word ({@link Reason}), for programs and for the gateway's refusal metrics.
 */
final class Refusals {

  /** Milliseconds after which a retry may succeed, as a decimal string. */
  static final Metadata.Key<String> RETRY_AFTER_MS =
      Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);

  /** The ErrorInfo domain of t2i's refusals. */
  static final String DOMAIN = "t2i";

  /** Which limit refused the work: the {@code reason} of the ErrorInfo detail. */
  enum Reason {
    /** Too many jobs wait for the workers (admission control). */
    QUEUE_FULL,
    /** The replica holds its most unary calls. */
    TOO_MANY_CALLS,
    /** The replica holds its most streams. */
    TOO_MANY_STREAMS,
    /** The tenant has its most jobs in flight. */
    TENANT_JOBS_IN_FLIGHT,
    /** The tenant submitted its most jobs in the window. */
    TENANT_SUBMISSION_RATE
  }

  private Refusals() {}

  static StatusRuntimeException resourceExhausted(
      Reason reason, String description, Duration retryAfter) {
    long millis = Math.max(1, retryAfter.toMillis());
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
            .setMessage(description)
            .addDetails(
                Any.pack(
                    RetryInfo.newBuilder()
                        .setRetryDelay(
                            com.google.protobuf.Duration.newBuilder()
                                .setSeconds(millis / 1000)
                                .setNanos((int) (millis % 1000) * 1_000_000))
                        .build()))
            .addDetails(
                Any.pack(ErrorInfo.newBuilder().setReason(reason.name()).setDomain(DOMAIN).build()))
            .build();
    Metadata trailers = new Metadata();
    trailers.put(RETRY_AFTER_MS, Long.toString(millis));
    return StatusProto.toStatusRuntimeException(status, trailers);
  }
}
