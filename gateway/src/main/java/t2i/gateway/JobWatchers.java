package t2i.gateway;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import t2i.pipeline.v1.JobEvent;

/**
 * The jobs this replica's clients are watching, by job id. Bounded: beyond {@code maxWatchers} new
 * watchers are refused with RESOURCE_EXHAUSTED. Thread-safe.
 */
final class JobWatchers {

  private static final Logger LOG = Logger.getLogger(JobWatchers.class);

  private final Map<String, Set<JobWatcher>> byJob = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  private final int maxWatchers;
  private final Duration retryAfter;

  /**
   * @param retryAfter the retry hint of a refused watcher
   */
  JobWatchers(int maxWatchers, Duration retryAfter) {
    this.maxWatchers = maxWatchers;
    this.retryAfter = retryAfter;
  }

  void add(JobWatcher watcher) {
    if (count.incrementAndGet() > maxWatchers) {
      count.decrementAndGet();
      throw Refusals.resourceExhausted(
          Refusals.Reason.TOO_MANY_STREAMS,
          "this gateway already serves "
              + maxWatchers
              + " streams (t2i.gateway.max-streams); retry later or use Submit and GetJob",
          retryAfter);
    }
    byJob.computeIfAbsent(watcher.jobId(), k -> new CopyOnWriteArraySet<>()).add(watcher);
  }

  void remove(JobWatcher watcher) {
    byJob.computeIfPresent(
        watcher.jobId(),
        (k, set) -> {
          if (set.remove(watcher)) {
            count.decrementAndGet();
          }
          return set.isEmpty() ? null : set;
        });
  }

  int size() {
    return count.get();
  }

  /** Hands an event to the job's watchers, if this replica has any. */
  void dispatch(JobEvent event) {
    Set<JobWatcher> watchers = byJob.get(event.getJobId());
    if (watchers == null) {
      return;
    }
    for (JobWatcher watcher : watchers) {
      try {
        watcher.onEvent(event);
      } catch (RuntimeException e) {
        LOG.errorf(e, "Delivering an event of job %s failed", event.getJobId());
      }
      if (watcher.isDone()) {
        remove(watcher);
      }
    }
  }

  /** Lets every watcher catch up from the job records; removes finished ones. */
  void reconcileAll() {
    for (Set<JobWatcher> watchers : byJob.values()) {
      for (JobWatcher watcher : watchers) {
        try {
          watcher.reconcile();
        } catch (RuntimeException e) {
          LOG.warnf(e, "Catching up job %s failed; will retry", watcher.jobId());
        }
        if (watcher.isDone()) {
          remove(watcher);
        }
      }
    }
  }
}
