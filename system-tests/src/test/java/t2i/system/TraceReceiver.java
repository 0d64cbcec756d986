package t2i.system;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A small OTLP collector for tests: the OpenTelemetry trace service over gRPC on a free port,
 * keeping the spans the services export (at most {@link #CAPACITY}; later ones are dropped and
 * counted). Owns its server; thread-safe.
 */
final class TraceReceiver implements AutoCloseable {

  static final int CAPACITY = 200_000;

  /** One span as a service exported it; ids in lower-case hex, parent empty for a root. */
  record ReceivedSpan(
      String service,
      String name,
      String traceId,
      String spanId,
      String parentSpanId,
      long startNanos,
      long endNanos,
      Map<String, String> attributes) {}

  private final List<ReceivedSpan> spans = new ArrayList<>();
  private int dropped;
  private final Server server;

  private TraceReceiver() throws IOException {
    server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(new Service())
            .build()
            .start();
  }

  static TraceReceiver start() throws IOException {
    return new TraceReceiver();
  }

  /** The endpoint to configure as {@code quarkus.otel.exporter.otlp.endpoint}. */
  String endpoint() {
    return "http://localhost:" + server.getPort();
  }

  /** Every span of the traces that contain a span with {@code t2i.job.id = jobId}. */
  synchronized List<ReceivedSpan> traceOfJob(String jobId) {
    List<String> traces =
        spans.stream()
            .filter(s -> jobId.equals(s.attributes().get("t2i.job.id")))
            .map(ReceivedSpan::traceId)
            .distinct()
            .toList();
    return spans.stream().filter(s -> traces.contains(s.traceId())).toList();
  }

  /** Spans that arrived after the receiver was full. */
  synchronized int dropped() {
    return dropped;
  }

  private synchronized void add(ReceivedSpan span) {
    if (spans.size() < CAPACITY) {
      spans.add(span);
    } else {
      dropped++;
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Service extends TraceServiceGrpc.TraceServiceImplBase {
    @Override
    public void export(
        ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
      HexFormat hex = HexFormat.of();
      for (ResourceSpans resource : request.getResourceSpansList()) {
        String service =
            resource.getResource().getAttributesList().stream()
                .filter(a -> a.getKey().equals("service.name"))
                .map(a -> a.getValue().getStringValue())
                .findFirst()
                .orElse("");
        for (ScopeSpans scope : resource.getScopeSpansList()) {
          for (Span span : scope.getSpansList()) {
            add(
                new ReceivedSpan(
                    service,
                    span.getName(),
                    hex.formatHex(span.getTraceId().toByteArray()),
                    hex.formatHex(span.getSpanId().toByteArray()),
                    hex.formatHex(span.getParentSpanId().toByteArray()),
                    span.getStartTimeUnixNano(),
                    span.getEndTimeUnixNano(),
                    span.getAttributesList().stream()
                        .collect(
                            Collectors.toMap(
                                KeyValue::getKey,
                                a -> Objects.toString(text(a)),
                                (first, second) -> first))));
          }
        }
      }
      response.onNext(ExportTraceServiceResponse.getDefaultInstance());
      response.onCompleted();
    }

    private static String text(KeyValue attribute) {
      var value = attribute.getValue();
      return switch (value.getValueCase()) {
        case STRING_VALUE -> value.getStringValue();
        case INT_VALUE -> Long.toString(value.getIntValue());
        case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
        case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
        default -> value.toString();
      };
    }
  }
}
