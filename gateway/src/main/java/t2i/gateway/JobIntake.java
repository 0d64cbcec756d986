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
import t2i.pipeline.job.RequestIds;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.GenerateRequest;

/**
 * Turns a validated request into a job, or finds the job it already created: honours the request id
 * (a retry gets the first attempt's job), admits the job (backlog, then the tenant's jobs in flight
 * and submission rate), records it and finally publishes it.
 *
 * <p>The job's record and its request-id claim are written in one atomic step, so a retry always
 * finds the job; a job that was recorded but never reached Kafka (its gateway stopped, or Kafka did
 * not answer in time) is published by the retry. One that nobody retries ends FAILED at its
 * deadline ({@link JobSweeper}). Whatever an attempt reserved is given back when it fails before
 * the job is recorded. Thread-safe.
 */
final class JobIntake {

  /** What a request led to. */
  sealed interface Intake permits Existing, Fresh {}

  /** A retry: the job the request id already stands for. */
  record Existing(JobView job) implements Intake {}

  /** A new job, recorded as QUEUED but not yet published ({@link #publish}). */
  record Fresh(JobSpec spec) implements Intake {}

  private final JobSubmitter submitter;
  private final JobStore store;
  private final RequestIds requestIds;
  private final AdmissionControl admission;
  private final TenantQuotas quotas;
  private final Duration jobTimeout;
  private final InstantSource clock;

  JobIntake(
      JobSubmitter submitter,
      JobStore store,
      RequestIds requestIds,
      AdmissionControl admission,
      TenantQuotas quotas,
      Duration jobTimeout,
      InstantSource clock) {
    if (jobTimeout.toMillis() < 1) {
      throw new IllegalArgumentException("jobTimeout must be positive, was " + jobTimeout);
    }
    this.submitter = submitter;
    this.store = store;
    this.requestIds = requestIds;
    this.admission = admission;
    this.quotas = quotas;
    this.jobTimeout = jobTimeout;
    this.clock = clock;
  }

  /**
   * @param request the request as the client sent it
   * @param resolved the same request validated, with every default filled in
   * @param callDeadline the deadline of a call whose caller waits for the result: the job's
   *     deadline is then no later
   * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED if the job is not admitted,
   *     INVALID_ARGUMENT if the request id was used for a different request, ABORTED if a request
   *     with the same id is being accepted at this very moment
   */
  Intake open(
      String tenant,
      GenerateRequest request,
      GenerateRequest resolved,
      Optional<Deadline> callDeadline) {
    String requestId = resolved.getRequestId();
    Optional<String> requestKey = Optional.empty();
    if (!requestId.isEmpty()) {
      Optional<JobView> existing = findExisting(tenant, request, resolved);
      if (existing.isPresent()) {
        return new Existing(existing.get());
      }
      requestKey = Optional.of(RequestIds.key(tenant, requestId));
    }
    String jobId = UUID.randomUUID().toString();
    long now = clock.millis();
    long deadline = now + jobTimeout.toMillis();
    if (callDeadline.isPresent()) {
      deadline = Math.min(deadline, now + callDeadline.get().timeRemaining(TimeUnit.MILLISECONDS));
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
      return switch (store.create(spec, requestKey)) {
        case JobStore.Created created -> new Fresh(spec);
        case JobStore.AlreadyClaimed claimed -> {
          // Another attempt with the same request id recorded its job a moment ago.
          quotas.releaseInFlight(tenant, jobId);
          Optional<JobView> first = store.find(claimed.jobId());
          if (first.isEmpty()) {
            throw inProgress(requestId);
          }
          requireSameRequest(first.get(), request, resolved);
          yield new Existing(first.get());
        }
        case JobStore.IdTaken taken ->
            throw Status.INTERNAL.withDescription("job id collision; retry").asRuntimeException();
      };
    } catch (RuntimeException e) {
      quotas.releaseInFlight(tenant, jobId);
      throw e;
    }
  }

  /**
   * Publishes a fresh job and waits for Kafka's acknowledgement. If Kafka does not take it, a job
   * with a request id stays recorded for the retry to publish; one without ends FAILED, since
   * nobody can ask for it again.
   */
  void publish(Fresh fresh) {
    JobSpec spec = fresh.spec();
    try {
      submitter.publish(spec);
    } catch (RuntimeException e) {
      if (spec.getRequest().getRequestId().isEmpty()) {
        submitter.abandon(spec, "the job could not be queued; submit it again");
      }
      throw e;
    }
  }

  /**
   * Publishes the job a retried request found, unless Kafka is known to have it already or it has
   * ended: the first attempt may have stopped between recording and publishing it.
   */
  void publishIfNeeded(Existing existing) {
    JobView job = existing.job();
    if (!job.published() && !job.isTerminal()) {
      submitter.publish(job.spec());
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
      String requestId = spec.getRequest().getRequestId();
      if (!requestId.isEmpty()) {
        requestIds.release(spec.getTenant(), requestId, spec.getJobId());
      }
    }
  }

  /** The job the request id stands for, if it still has a record. */
  private Optional<JobView> findExisting(
      String tenant, GenerateRequest request, GenerateRequest resolved) {
    String requestId = resolved.getRequestId();
    Optional<String> holder = requestIds.holder(tenant, requestId);
    if (holder.isEmpty()) {
      return Optional.empty();
    }
    Optional<JobView> job = store.find(holder.get());
    if (job.isEmpty()) {
      // The claim outlived its job's record (it expired, or Redis lost it): start afresh.
      requestIds.release(tenant, requestId, holder.get());
      return Optional.empty();
    }
    requireSameRequest(job.get(), request, resolved);
    return job;
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
}
