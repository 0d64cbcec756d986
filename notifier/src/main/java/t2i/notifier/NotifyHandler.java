package t2i.notifier;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobView;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.stage.Stages;
import t2i.pipeline.v1.JobEvent;

/**
 * Reads the events of every job and, for each that ended with a callback URL, delivers its
 * callback; the event's offset is committed once the callback is delivered or given up. Every other
 * event, a job no longer kept, and a callback already settled (the event read again after a
 * restart) pass at once.
 */
final class NotifyHandler implements JobHandler<JobEvent> {

  static final String STAGE = Stages.NOTIFIER;

  private final JobStore store;
  private final CallbackDelivery delivery;
  private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

  NotifyHandler(JobStore store, CallbackDelivery delivery) {
    this.store = store;
    this.delivery = delivery;
  }

  @Override
  public CompletionStage<?> handle(Delivery<JobEvent> event) {
    if (!event.value().hasFinished()) {
      return CompletableFuture.completedFuture(null);
    }
    String jobId = event.jobId();
    Optional<JobView> job = store.find(jobId);
    if (job.isEmpty()
        || job.get().spec().getRequest().getCallbackUrl().isEmpty()
        || !job.get().isTerminal()
        || job.get().callbackSettled()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> running = inFlight.get(jobId);
    if (running != null) {
      // A second final event of the job (a sweeper's and a stage's, say): one delivery serves both.
      return running;
    }
    CompletableFuture<Void> settled = delivery.deliver(job.get());
    inFlight.put(jobId, settled);
    return settled.whenComplete((v, e) -> inFlight.remove(jobId, settled));
  }

  /** Another consumer has the event now and delivers the callback again: stop retrying here. */
  @Override
  public void revoked(Delivery<JobEvent> event) {
    CompletableFuture<Void> settled = inFlight.remove(event.jobId());
    if (settled != null) {
      settled.cancel(false);
    }
  }
}
