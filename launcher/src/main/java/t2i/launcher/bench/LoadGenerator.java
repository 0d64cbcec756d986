package t2i.launcher.bench;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;

/**
 * Offers a {@link LoadSpec}'s load to a gateway through {@code Generate} calls and measures what
 * the jobs sent after the warm-up see. Open loop: one thread sends each job at its due time,
 * whatever the answers, and a job's latency counts from that due time (no coordinated omission). At
 * most {@link #MAX_OUTSTANDING} calls are open; a job due beyond that is counted as a client-side
 * error instead of being sent. Closed loop: each of {@code concurrency} callers sends its next job
 * when its last one ends.
 */
final class LoadGenerator {

  static final int MAX_OUTSTANDING = 10_000;

  private final Channel channel;
  private final LoadSpec spec;
  private final AtomicLong outstanding = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();
  private final LoadResult result = new LoadResult();

  private volatile long measureFromNanos;
  private volatile long measureUntilNanos;

  LoadGenerator(Channel channel, LoadSpec spec) {
    this.channel = channel;
    this.spec = spec;
  }

  /**
   * Runs the warm-up and the measured period, then waits (up to the call timeout) for the measured
   * jobs to end.
   *
   * @param onMeasureStart told when the measured period starts
   * @param onMeasureEnd told when it ends
   */
  LoadResult run(Runnable onMeasureStart, Runnable onMeasureEnd) throws InterruptedException {
    long start = System.nanoTime();
    measureFromNanos = start + spec.warmup().toNanos();
    measureUntilNanos = measureFromNanos + spec.duration().toNanos();
    Thread marker =
        Thread.ofPlatform()
            .name("bench-marker")
            .start(
                () -> {
                  parkUntil(measureFromNanos);
                  onMeasureStart.run();
                  parkUntil(measureUntilNanos);
                  onMeasureEnd.run();
                });
    if (spec.rate() > 0) {
      openLoop(start);
    } else {
      closedLoop();
    }
    marker.join();
    long drainUntil = System.nanoTime() + spec.timeout().toNanos();
    while (outstanding.get() > 0 && System.nanoTime() - drainUntil < 0) {
      Thread.sleep(20);
    }
    return result;
  }

  private void openLoop(long start) {
    double periodNanos = 1e9 / spec.rate();
    for (long n = 0; ; n++) {
      long due = start + (long) (n * periodNanos);
      if (due - measureUntilNanos >= 0) {
        return;
      }
      parkUntil(due);
      boolean measured = due - measureFromNanos >= 0;
      if (outstanding.get() >= MAX_OUTSTANDING) {
        if (measured) {
          result.failed("CLIENT_TOO_MANY_OUTSTANDING");
        }
        continue;
      }
      send(due, measured, null);
    }
  }

  private void closedLoop() throws InterruptedException {
    CountDownLatch callersDone = new CountDownLatch(spec.concurrency());
    for (int i = 0; i < spec.concurrency(); i++) {
      sendNext(callersDone);
    }
    callersDone.await();
  }

  /** A closed-loop caller's next job, or its end once the measured period is over. */
  private void sendNext(CountDownLatch callersDone) {
    long now = System.nanoTime();
    if (now - measureUntilNanos >= 0) {
      callersDone.countDown();
      return;
    }
    send(now, now - measureFromNanos >= 0, () -> sendNext(callersDone));
  }

  private void send(long dueNanos, boolean measured, @Nullable Runnable then) {
    GenerateRequest request = spec.requestFor(sequence.getAndIncrement());
    outstanding.incrementAndGet();
    if (measured) {
      result.sent();
    }
    TextToImageGrpc.newStub(channel)
        .withDeadlineAfter(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .generate(request, new Call(dueNanos, measured, then));
  }

  private static void parkUntil(long nanos) {
    for (long left = nanos - System.nanoTime(); left > 0; left = nanos - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }

  /** One job's stream. */
  private final class Call implements StreamObserver<GenerateEvent> {
    private final long dueNanos;
    private final boolean measured;
    private final @Nullable Runnable then;
    private @Nullable Job job;

    Call(long dueNanos, boolean measured, @Nullable Runnable then) {
      this.dueNanos = dueNanos;
      this.measured = measured;
      this.then = then;
    }

    @Override
    public void onNext(GenerateEvent event) {
      switch (event.getEventCase()) {
        case ACCEPTED -> {
          if (measured) {
            result.accepted(micros());
          }
        }
        case COMPLETED -> job = event.getCompleted().getJob();
        default -> {}
      }
    }

    @Override
    public void onError(Throwable error) {
      if (measured) {
        result.failed(statusOf(error));
      }
      done();
    }

    @Override
    public void onCompleted() {
      if (measured) {
        Job finished = job;
        if (finished != null && finished.getState() == JobState.SUCCEEDED) {
          result.succeeded(micros(), finished);
        } else {
          result.failed(finished == null ? "NO_RESULT" : "JOB_" + finished.getState().name());
        }
      }
      done();
    }

    /** The status code, and for a refusal the limit that refused (its ErrorInfo reason). */
    private static String statusOf(Throwable error) {
      String code = Status.fromThrowable(error).getCode().name();
      com.google.rpc.@Nullable Status details = StatusProto.fromThrowable(error);
      if (details != null) {
        for (Any detail : details.getDetailsList()) {
          if (detail.is(ErrorInfo.class)) {
            try {
              return code + " " + detail.unpack(ErrorInfo.class).getReason();
            } catch (InvalidProtocolBufferException e) {
              return code;
            }
          }
        }
      }
      return code;
    }

    private long micros() {
      return (System.nanoTime() - dueNanos) / 1_000;
    }

    private void done() {
      outstanding.decrementAndGet();
      if (then != null) {
        then.run();
      }
    }
  }
}
