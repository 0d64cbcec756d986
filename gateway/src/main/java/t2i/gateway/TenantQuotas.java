package t2i.gateway;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import t2i.pipeline.job.JobStates;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.TenantLedger;
import t2i.v1.JobState;

/**
 * Per-tenant limits, counted in the {@link TenantLedger} so that they hold across every gateway
 * replica: jobs in flight (queued or running) and submissions per fixed window.
 *
 * <p>A tenant's jobs in flight are a sorted set of job ids scored by deadline. A job leaves it when
 * a check finds it full: finished jobs and jobs past their deadline (stages end them EXPIRED) are
 * pruned then, so the set needs no cleanup of its own. A job whose record is missing stays until
 * its deadline: it may be another replica's reservation whose record is being written.
 *
 * <p>Thread-safe; does not own the ledger or the store.
 */
final class TenantQuotas {

  private final TenantLedger ledger;
  private final JobStore store;
  private final int maxInFlight;
  private final int maxSubmissions;
  private final Duration window;
  private final Duration jobTimeout;
  private final Duration inFlightRetryAfter;
  private final InstantSource clock;

  TenantQuotas(
      TenantLedger ledger,
      JobStore store,
      GatewayConfig.Quota quota,
      Duration jobTimeout,
      InstantSource clock) {
    if (quota.maxJobsInFlight() < 1 || quota.maxSubmissions() < 1) {
      throw new IllegalArgumentException(
          "a quota's maxJobsInFlight and maxSubmissions must be positive, were "
              + quota.maxJobsInFlight()
              + " and "
              + quota.maxSubmissions());
    }
    if (quota.submissionWindow().toMillis() < 1) {
      throw new IllegalArgumentException(
          "a quota's submissionWindow must be at least 1ms, was " + quota.submissionWindow());
    }
    this.ledger = ledger;
    this.store = store;
    this.maxInFlight = quota.maxJobsInFlight();
    this.maxSubmissions = quota.maxSubmissions();
    this.window = quota.submissionWindow();
    this.jobTimeout = jobTimeout;
    this.inFlightRetryAfter = quota.retryAfter();
    this.clock = clock;
  }

  /**
   * Counts a new job against the tenant's jobs in flight.
   *
   * @param deadlineMillis the job's deadline; past it the job no longer counts
   * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED if the tenant is at its limit
   */
  void reserveInFlight(String tenant, String jobId, long deadlineMillis) {
    if (tryReserve(tenant, jobId, deadlineMillis)) {
      return;
    }
    prune(tenant);
    if (!tryReserve(tenant, jobId, deadlineMillis)) {
      throw Refusals.resourceExhausted(
          Refusals.Reason.TENANT_JOBS_IN_FLIGHT,
          "tenant "
              + CallScope.display(tenant)
              + " already has "
              + maxInFlight
              + " jobs queued or running, the most allowed"
              + " (t2i.gateway.quota.max-jobs-in-flight); wait for one to finish or cancel one",
          inFlightRetryAfter);
    }
  }

  /** Gives back a reservation whose job was never created. */
  void releaseInFlight(String tenant, String jobId) {
    ledger.release(tenant, List.of(jobId));
  }

  /**
   * Counts a submission against the tenant's submissions in the current window.
   *
   * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED, with the time until the window ends,
   *     if the tenant has used up the window
   */
  void countSubmission(String tenant) {
    long now = clock.millis();
    long windowMillis = window.toMillis();
    long index = Math.floorDiv(now, windowMillis);
    long untilWindowEnds = (index + 1) * windowMillis - now;
    OptionalLong refusedFor =
        ledger.countSubmission(tenant, index, maxSubmissions, untilWindowEnds);
    if (refusedFor.isPresent()) {
      throw Refusals.resourceExhausted(
          Refusals.Reason.TENANT_SUBMISSION_RATE,
          "tenant "
              + CallScope.display(tenant)
              + " has submitted "
              + maxSubmissions
              + " jobs in the current "
              + window
              + " window, the most allowed (t2i.gateway.quota.max-submissions per"
              + " t2i.gateway.quota.submission-window); retry when the window ends",
          Duration.ofMillis(refusedFor.getAsLong()));
    }
  }

  private boolean tryReserve(String tenant, String jobId, long deadlineMillis) {
    // Every member's deadline is at most one job timeout away from its reservation.
    return ledger.reserve(tenant, jobId, deadlineMillis, maxInFlight, jobTimeout.toMillis());
  }

  /** Drops the tenant's jobs that have finished or are past their deadline. */
  private void prune(String tenant) {
    List<TenantLedger.InFlight> members = ledger.inFlight(tenant);
    if (members.isEmpty()) {
      return;
    }
    long now = clock.millis();
    Map<String, JobState> states =
        store.states(members.stream().map(TenantLedger.InFlight::jobId).toList());
    List<String> gone =
        members.stream()
            .filter(
                m -> {
                  JobState state = states.get(m.jobId());
                  boolean pastDeadline = m.deadlineMillis() <= now;
                  return pastDeadline || (state != null && JobStates.isTerminal(state));
                })
            .map(TenantLedger.InFlight::jobId)
            .toList();
    ledger.release(tenant, gone);
  }
}
