package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import t2i.v1.GenerateEvent;

/** Collects the events of a Generate or WatchJob stream and how it ended. Thread-safe. */
final class StreamRecorder implements StreamObserver<GenerateEvent> {

  static final Duration WAIT = Duration.ofSeconds(30);

  final List<GenerateEvent> events = new CopyOnWriteArrayList<>();
  final AtomicReference<Throwable> error = new AtomicReference<>();
  private volatile boolean completed;

  @Override
  public void onNext(GenerateEvent event) {
    events.add(event);
  }

  @Override
  public void onError(Throwable t) {
    error.set(t);
  }

  @Override
  public void onCompleted() {
    completed = true;
  }

  boolean ended() {
    return completed || error.get() != null;
  }

  boolean completed() {
    return completed;
  }

  /** Waits for the end of the stream. */
  StreamRecorder awaitEnd() {
    await().atMost(WAIT).until(this::ended);
    return this;
  }

  /** The status the stream ended with (OK if it completed). */
  Status status() {
    awaitEnd();
    return completed ? Status.OK : Status.fromThrowable(error.get());
  }

  /** The job id of a Generate stream, from its first event. */
  String acceptedJobId() {
    await().atMost(WAIT).until(() -> !events.isEmpty() || error.get() != null);
    assertThat(error.get()).as("stream error").isNull();
    assertThat(events.getFirst().hasAccepted()).isTrue();
    return events.getFirst().getAccepted().getJobId();
  }
}
