package t2i.system.faults;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;

/**
 * Clients as a careful user writes them: each sends one Generate with its own request id and reads
 * the stream to the end; when the stream breaks (a gateway died, Redis or Kafka is away) it asks
 * GetJob whether the job has ended, and otherwise sends the same request again, which resumes the
 * same job. Each stream is checked for duplicates: an image index or a completion seen twice.
 */
final class JobLoad {

  /**
   * What one client saw.
   *
   * @param jobId the job the client ended with; empty if no attempt was ever accepted
   * @param acceptedJobs every job an attempt was accepted as, in order (a retry after the store
   *     lost a job's record starts a new one)
   * @param state the job's final state as the client learnt it; UNSPECIFIED if it never learnt one
   * @param imagesReceived distinct images of the final job the client received
   * @param duplicateEvents images or completions one stream delivered twice
   * @param endedAtNanos when the client learnt the outcome
   */
  record Outcome(
      String requestId,
      String jobId,
      List<String> acceptedJobs,
      JobState state,
      String reason,
      int imagesReceived,
      int duplicateEvents,
      int attempts,
      long endedAtNanos) {}

  private JobLoad() {}

  /**
   * Starts {@code jobs} clients, {@code perSecond} a second, and waits for all of them; each gives
   * up after {@code limit}.
   */
  static List<Outcome> run(
      ManagedChannel channel,
      String prefix,
      int jobs,
      double perSecond,
      GenerateRequest template,
      Duration limit,
      Runnable atStart)
      throws InterruptedException, ExecutionException {
    return run(channel, prefix, jobs, jobs, () -> true, perSecond, template, limit, atStart);
  }

  /**
   * Starts at least {@code minJobs} clients, {@code perSecond} a second, and goes on starting more
   * until {@code enough} holds or {@code maxJobs} have started; then waits for all of them. Each
   * gives up after {@code limit}.
   */
  static List<Outcome> run(
      ManagedChannel channel,
      String prefix,
      int minJobs,
      int maxJobs,
      BooleanSupplier enough,
      double perSecond,
      GenerateRequest template,
      Duration limit,
      Runnable atStart)
      throws InterruptedException, ExecutionException {
    try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Outcome>> futures = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < maxJobs && (i < minJobs || !enough.getAsBoolean()); i++) {
        long due = start + (long) (i * 1e9 / perSecond);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        GenerateRequest request =
            template.toBuilder().setRequestId(prefix + "-" + i).setSeed(1000L + i).build();
        futures.add(clients.submit(() -> generate(channel, request, limit)));
        if (i == 0) {
          Thread.ofVirtual().start(atStart);
        }
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (Future<Outcome> f : futures) {
        outcomes.add(f.get());
      }
      return outcomes;
    }
  }

  private static Outcome generate(ManagedChannel channel, GenerateRequest request, Duration limit)
      throws InterruptedException {
    long giveUpAt = System.nanoTime() + limit.toNanos();
    String jobId = "";
    List<String> accepted = new ArrayList<>();
    BitSet received = new BitSet();
    int duplicates = 0;
    int attempts = 0;
    long backoffMillis = 250;
    while (System.nanoTime() < giveUpAt) {
      attempts++;
      BitSet images = new BitSet();
      int completions = 0;
      JobState completedAs = null;
      try {
        Iterator<GenerateEvent> events =
            TextToImageGrpc.newBlockingStub(channel)
                .withDeadlineAfter(Math.max(1, giveUpAt - System.nanoTime()), TimeUnit.NANOSECONDS)
                .generate(request);
        while (events.hasNext()) {
          GenerateEvent event = events.next();
          switch (event.getEventCase()) {
            case ACCEPTED -> {
              jobId = event.getAccepted().getJobId();
              if (!accepted.contains(jobId)) {
                accepted.add(jobId);
                received.clear();
              }
            }
            case IMAGE -> {
              if (images.get(event.getImage().getIndex())) {
                duplicates++;
              }
              images.set(event.getImage().getIndex());
              received.set(event.getImage().getIndex());
            }
            case COMPLETED -> {
              completions++;
              completedAs = event.getCompleted().getJob().getState();
            }
            default -> {}
          }
        }
        if (completions > 1) {
          duplicates += completions - 1;
        }
        if (completedAs != null) {
          return new Outcome(
              request.getRequestId(),
              jobId,
              accepted,
              completedAs,
              "",
              received.cardinality(),
              duplicates,
              attempts,
              System.nanoTime());
        }
      } catch (StatusRuntimeException e) {
        if (completions > 1) {
          duplicates += completions - 1;
        }
        if (!jobId.isEmpty()) {
          Job job = getJob(channel, jobId);
          if (job != null && isTerminal(job.getState())) {
            return new Outcome(
                request.getRequestId(),
                jobId,
                accepted,
                job.getState(),
                job.getReason(),
                received.cardinality(),
                duplicates,
                attempts,
                System.nanoTime());
          }
        }
      }
      Thread.sleep(backoffMillis);
      backoffMillis = Math.min(backoffMillis * 2, 2000);
    }
    return new Outcome(
        request.getRequestId(),
        jobId,
        accepted,
        JobState.JOB_STATE_UNSPECIFIED,
        "gave up",
        received.cardinality(),
        duplicates,
        attempts,
        System.nanoTime());
  }

  /** The job as GetJob reports it now; null if the call failed. */
  static @Nullable Job getJob(ManagedChannel channel, String jobId) {
    try {
      return TextToImageGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Job.newBuilder().setJobId(jobId).setState(JobState.JOB_STATE_UNSPECIFIED).build();
      }
      return null;
    }
  }

  static boolean isTerminal(JobState state) {
    return switch (state) {
      case SUCCEEDED, FAILED, CANCELLED, EXPIRED -> true;
      default -> false;
    };
  }
}
