package t2i.gateway;

import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobView;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.GenerateRequest;

/**
 * Turns a validated request into a job, or finds the job it already created: honours the request id
 * (a retry gets the first attempt's job), admits the job (backlog, then the tenant's jobs in flight
 * and submission rate), records it and finally publishes it. Whatever an attempt reserved is given
 * back when it fails, so that a refused or failed request can simply be retried. Thread-safe.
 */
final class JobIntake {

  /** What a request led to. */
  sealed interface Intake permits Existing, Fresh {}

  /** A retry: the job the request id already stands for. */
  record Existing(JobView job) implements Intake {}

  /** A new job, recorded as QUEUED but not yet published ({@link #publish}). */
  record Fresh(JobSpec spec) implements Intake {}

  /**
   * A request id claimed this long ago without a job record was abandoned (its gateway stopped
   * between claim and record): the claim is dropped so the retry can proceed.
   */
  private static final Duration CLAIM_GRACE = Duration.ofSeconds(30);

  private final JobSubmitter submitter;
  private final JobStore store;
  private final RequestIds requestIds;
  private final AdmissionControl admission;
  private final TenantQuotas quotas;
  private final Duration jobTimeout;
  private final Duration abandonedAfter;
  private final InstantSource clock;

  JobIntake(
      JobSubmitter submitter,
      JobStore store,
      RequestIds requestIds,
      AdmissionControl admission,
      TenantQuotas quotas,
      Duration jobTimeout,
      Duration publishTimeout,
      InstantSource clock) {
    if (jobTimeout.toMillis() < 1) {
      throw new IllegalArgumentException(
          "t2i.gateway.job-timeout must be positive, was " + jobTimeout);
    }
    this.submitter = submitter;
    this.store = store;
    this.requestIds = requestIds;
    this.admission = admission;
    this.quotas = quotas;
    this.jobTimeout = jobTimeout;
    this.abandonedAfter = publishTimeout.plus(CLAIM_GRACE);
    this.clock = clock;
  }

  /**
   * @param request the request as the client sent it
   * @param resolved the same request validated, with every default filled in
   * @param callDeadline the deadline of a call whose caller waits for the result: the job's
   *     deadline is then no later
   * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED if the job is not admitted,
   *     INVALID_ARGUMENT if the request id was used for a different request, ABORTED if a request
   *     with the same id is being accepted at this moment
   */
  Intake open(
      String tenant,
      GenerateRequest request,
      GenerateRequest resolved,
      Optional<Deadline> callDeadline) {
    String jobId = UUID.randomUUID().toString();
    String requestId = resolved.getRequestId();
    if (!requestId.isEmpty()) {
      Optional<JobView> existing = claimOrFind(tenant, request, resolved, jobId);
      if (existing.isPresent()) {
        return new Existing(existing.get());
      }
    }
    try {
      long now = clock.millis();
      long deadline = now + jobTimeout.toMillis();
      if (callDeadline.isPresent()) {
        deadline =
            Math.min(deadline, now + callDeadline.get().timeRemaining(TimeUnit.MILLISECONDS));
      }
      JobSpec spec =
          JobSpec.newBuilder()
              .setJobId(jobId)
              .setRequest(resolved)
              .setAcceptedAtUnixMs(now)
              .setDeadlineUnixMs(deadline)
              .setTenant(tenant)
              .build();
      admission.checkCapacity();
      quotas.reserveInFlight(tenant, jobId, deadline);
      try {
        quotas.countSubmission(tenant);
        submitter.record(spec);
      } catch (RuntimeException e) {
        quotas.releaseInFlight(tenant, jobId);
        throw e;
      }
      return new Fresh(spec);
    } catch (RuntimeException e) {
      releaseClaim(tenant, requestId, jobId);
      throw e;
    }
  }

  /**
   * Publishes a fresh job and waits for Kafka's acknowledgement. If that fails, the job ends FAILED
   * and its request id is free again, so that a retry creates a new job.
   */
  void publish(Fresh fresh) {
    JobSpec spec = fresh.spec();
    try {
      submitter.publish(spec);
    } catch (RuntimeException e) {
      releaseClaim(spec.getTenant(), spec.getRequest().getRequestId(), spec.getJobId());
      throw e;
    }
  }

  /**
   * Gives up a fresh job before publishing it (its stream could not be opened): the job ends FAILED
   * and its request id is free again.
   */
  void abandon(Fresh fresh) {
    JobSpec spec = fresh.spec();
    try {
      submitter.abandon(spec, "the gateway could not open a stream for the job; submit it again");
    } finally {
      releaseClaim(spec.getTenant(), spec.getRequest().getRequestId(), spec.getJobId());
    }
  }

  /** Claims the request id for {@code jobId}, or returns the job that already holds it. */
  private Optional<JobView> claimOrFind(
      String tenant, GenerateRequest request, GenerateRequest resolved, String jobId) {
    String requestId = resolved.getRequestId();
    for (int attempt = 0; attempt < 2; attempt++) {
      Optional<String> holder = requestIds.claim(tenant, requestId, jobId);
      if (holder.isEmpty()) {
        return Optional.empty();
      }
      Optional<JobView> job = store.find(holder.get());
      if (job.isPresent()) {
        requireSameRequest(job.get(), request, resolved);
        return job;
      }
      Optional<Duration> age = requestIds.claimAge(tenant, requestId);
      if (age.isPresent() && age.get().compareTo(abandonedAfter) < 0) {
        throw inProgress(requestId);
      }
      // The claim outlived its job's record, or its attempt died before recording the job.
      requestIds.release(tenant, requestId, holder.get());
    }
    throw inProgress(requestId);
  }

  private static void requireSameRequest(
      JobView job, GenerateRequest request, GenerateRequest resolved) {
    GenerateRequest first = job.spec().getRequest();
    // A request without a seed draws one: a retry of it is the same request with any seed.
    GenerateRequest retry =
        request.hasSeed() ? resolved : resolved.toBuilder().setSeed(first.getSeed()).build();
    if (!retry.equals(first)) {
      throw RequestValidator.invalid(
          "request_id "
              + RequestValidator.echo(first.getRequestId())
              + " was already used for a different request (job "
              + job.spec().getJobId()
              + "); a retry must repeat the request unchanged, a new request needs a new"
              + " request_id");
    }
  }

  private static RuntimeException inProgress(String requestId) {
    return Status.ABORTED
        .withDescription(
            "a request with request_id "
                + RequestValidator.echo(requestId)
                + " is being accepted right now; retry in a moment to get its job")
        .asRuntimeException();
  }

  private void releaseClaim(String tenant, String requestId, String jobId) {
    if (!requestId.isEmpty()) {
      requestIds.release(tenant, requestId, jobId);
    }
  }
}
