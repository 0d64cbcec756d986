package t2i.diffusion;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Jobs waiting for the UNet, oldest first. Bounded for new jobs; a job put back at the front (after
 * a failed shared call) always fits. The denoising thread is its only consumer, so peeking at the
 * head and then taking it is safe. Thread-safe.
 */
final class PendingJobs {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final ArrayDeque<DenoisingJob> jobs = new ArrayDeque<>();
  private final int capacity;

  PendingJobs(int capacity) {
    this.capacity = capacity;
  }

  /** Adds a new job at the back; false if the queue is full. */
  boolean offer(DenoisingJob job) {
    lock.lock();
    try {
      if (jobs.size() >= capacity) {
        return false;
      }
      jobs.addLast(job);
      notEmpty.signal();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Puts jobs back at the front, in the given order, whatever the capacity. */
  void putBack(List<DenoisingJob> first) {
    lock.lock();
    try {
      for (int i = first.size() - 1; i >= 0; i--) {
        jobs.addFirst(first.get(i));
      }
      notEmpty.signal();
    } finally {
      lock.unlock();
    }
  }

  /** The oldest job, waiting up to {@code nanos} for one; null if none came. */
  @Nullable DenoisingJob peek(long nanos) throws InterruptedException {
    lock.lock();
    try {
      while (jobs.isEmpty()) {
        if (nanos <= 0) {
          return null;
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      return jobs.peekFirst();
    } finally {
      lock.unlock();
    }
  }

  /** Removes the oldest job, which the caller has just peeked at. */
  DenoisingJob take() {
    lock.lock();
    try {
      return jobs.removeFirst();
    } finally {
      lock.unlock();
    }
  }

  /** Removes and returns the waiting copies of a job. */
  List<DenoisingJob> remove(String jobId) {
    lock.lock();
    try {
      List<DenoisingJob> removed = new ArrayList<>();
      jobs.removeIf(
          job -> {
            boolean match = job.id().equals(jobId);
            if (match) {
              removed.add(job);
            }
            return match;
          });
      return removed;
    } finally {
      lock.unlock();
    }
  }

  /** Whether a copy of the job waits here. */
  boolean contains(String jobId) {
    lock.lock();
    try {
      return jobs.stream().anyMatch(job -> job.id().equals(jobId));
    } finally {
      lock.unlock();
    }
  }

  /** Empties the queue, returning what was in it. */
  List<DenoisingJob> drain() {
    lock.lock();
    try {
      List<DenoisingJob> all = new ArrayList<>(jobs);
      jobs.clear();
      return all;
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return jobs.size();
    } finally {
      lock.unlock();
    }
  }
}
