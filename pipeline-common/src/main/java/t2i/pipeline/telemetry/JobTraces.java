package t2i.pipeline.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.jboss.logging.MDC;
import org.jspecify.annotations.Nullable;

/**
 * One trace per job across every Kafka hop. The W3C trace context travels in each record's headers
 * ({@code traceparent}, {@code tracestate}); a stage's span for a record is a child of the context
 * the record carries, and whatever the stage publishes for the job carries the stage's span in
 * turn. The span of the work on each job is kept here by job id while the work runs, because that
 * work hops threads (batches, engine threads, acknowledgements) where no context is current: the
 * publisher finds the job's span by the record key. Thread-safe; holds one entry per job in flight.
 */
public final class JobTraces {

  /** The job's id on every span of its trace. */
  public static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("t2i.job.id");

  private static final AttributeKey<Long> QUEUE_WAIT_MS = AttributeKey.longKey("t2i.queue.wait_ms");
  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("t2i.attempt");

  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final ConcurrentMap<String, Span> active = new ConcurrentHashMap<>();

  private JobTraces(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("t2i");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  public static JobTraces of(OpenTelemetry openTelemetry) {
    return new JobTraces(openTelemetry);
  }

  /** Spans that go nowhere and headers that stay empty. */
  public static JobTraces none() {
    return new JobTraces(OpenTelemetry.noop());
  }

  /**
   * Starts the span of a stage's work on a job's record, as a child of the context its headers
   * carry, and makes it the job's span until {@link #end}.
   */
  public Span startStage(
      String stage, String topic, String jobId, Headers headers, long queueWaitMs, int attempt) {
    Context parent = propagator.extract(Context.root(), headers, HeaderGetter.INSTANCE);
    Span span =
        tracer
            .spanBuilder(stage + " process")
            .setParent(parent)
            .setSpanKind(SpanKind.CONSUMER)
            .setAttribute(JOB_ID, jobId)
            .setAttribute("messaging.system", "kafka")
            .setAttribute("messaging.destination.name", topic)
            .setAttribute(QUEUE_WAIT_MS, queueWaitMs)
            .setAttribute(ATTEMPT, (long) attempt)
            .startSpan();
    active.put(jobId, span);
    return span;
  }

  /**
   * Starts a job's first span (the gateway's submission), a child of whatever span is current (the
   * gRPC call), and makes it the job's span until {@link #end}.
   */
  public Span startJob(String name, String jobId) {
    Span span =
        tracer
            .spanBuilder(name)
            .setSpanKind(SpanKind.PRODUCER)
            .setAttribute(JOB_ID, jobId)
            .startSpan();
    active.put(jobId, span);
    return span;
  }

  /** Ends a span started here; with an error, marks it failed. */
  public void end(String jobId, Span span, @Nullable Throwable error) {
    if (error != null) {
      span.recordException(error);
      span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
    }
    span.end();
    active.remove(jobId, span);
  }

  /** The span of the work on the job now (invalid when none runs here). */
  public Span spanOf(String jobId) {
    Span span = active.get(jobId);
    return span == null ? Span.getInvalid() : span;
  }

  /**
   * Writes the trace context of the job's work here (or, when none runs, the current context) into
   * a record's headers.
   */
  public void inject(String jobId, Headers headers) {
    Span span = active.get(jobId);
    Context context = span == null ? Context.current() : Context.current().with(span);
    propagator.inject(context, headers, HeaderSetter.INSTANCE);
  }

  /**
   * Names a job and its trace in the MDC of this thread's log lines ({@code jobId}, {@code
   * traceId}), until {@link #clearLogContext()}.
   */
  public static void putLogContext(String jobId, String traceId) {
    MDC.put("jobId", jobId);
    MDC.put("traceId", traceId);
  }

  public static void clearLogContext() {
    MDC.remove("jobId");
    MDC.remove("traceId");
  }

  /** The trace id of the job's work here, for log lines; empty when it is not traced. */
  public String traceIdOf(String jobId) {
    Span span = active.get(jobId);
    return span != null && span.getSpanContext().isValid()
        ? span.getSpanContext().getTraceId()
        : "";
  }

  private enum HeaderSetter implements TextMapSetter<Headers> {
    INSTANCE;

    @Override
    public void set(@Nullable Headers headers, String key, String value) {
      if (headers != null) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private enum HeaderGetter implements TextMapGetter<Headers> {
    INSTANCE;

    @Override
    public Iterable<String> keys(Headers headers) {
      List<String> keys = new ArrayList<>();
      for (Header header : headers) {
        keys.add(header.key());
      }
      return keys;
    }

    @Override
    public @Nullable String get(@Nullable Headers headers, String key) {
      if (headers == null) {
        return null;
      }
      Header header = headers.lastHeader(key);
      return header == null || header.value() == null
          ? null
          : new String(header.value(), StandardCharsets.UTF_8);
    }
  }
}
