package t2i.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobView;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.ListJobsRequest;
import t2i.v1.ListJobsResponse;

/**
 * A tenant's jobs, newest first, a page at a time (ListJobs), from the history the job store keeps
 * per tenant. A page token is the position in that history where the next page starts; a filtered
 * page reads at most {@value #MAX_SCANNED} entries and may come back short, with a token to go on.
 * The records of each batch of entries are read in one round trip. Thread-safe; owns nothing.
 */
final class JobHistory {

  static final int DEFAULT_PAGE_SIZE = 20;
  static final int MAX_PAGE_SIZE = 100;

  /** History entries one call reads at most, so that a rare state cannot make a call scan all. */
  static final int MAX_SCANNED = 1_000;

  private static final int READ_BATCH = 50;

  private final JobStore store;
  private final JobViews views;

  JobHistory(JobStore store, JobViews views) {
    this.store = store;
    this.views = views;
  }

  /**
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a bad page size, token or state
   */
  ListJobsResponse list(String tenant, ListJobsRequest request) {
    int pageSize = pageSize(request.getPageSize());
    long offset = offset(request.getPageToken());
    JobState wanted = request.getState();
    if (wanted == JobState.UNRECOGNIZED) {
      throw RequestValidator.invalid(
          "state", "state " + request.getStateValue() + " is not a job state this server knows");
    }
    List<Job> jobs = new ArrayList<>(pageSize);
    long scanned = 0;
    boolean more = true;
    while (jobs.size() < pageSize && scanned < MAX_SCANNED) {
      // Unfiltered, every live entry fills the page; filtered, read ahead in larger batches.
      int batch = wanted == JobState.JOB_STATE_UNSPECIFIED ? pageSize - jobs.size() : READ_BATCH;
      List<String> ids = store.history(tenant, offset, batch);
      if (ids.isEmpty()) {
        more = false;
        break;
      }
      for (Optional<JobView> view : store.findAll(ids)) {
        offset++;
        scanned++;
        // An expired job's entry outlives its record by at most one retention.
        if (view.isPresent()
            && view.get().spec().getTenant().equals(tenant)
            && (wanted == JobState.JOB_STATE_UNSPECIFIED || view.get().state() == wanted)) {
          jobs.add(views.listed(view.get()));
          if (jobs.size() == pageSize) {
            break;
          }
        }
      }
    }
    ListJobsResponse.Builder response = ListJobsResponse.newBuilder().addAllJobs(jobs);
    if (more && !store.history(tenant, offset, 1).isEmpty()) {
      response.setNextPageToken(Long.toString(offset));
    }
    return response.build();
  }

  private static int pageSize(int requested) {
    if (requested < 0) {
      throw RequestValidator.invalid(
          "page_size",
          "page_size must not be negative (0: " + DEFAULT_PAGE_SIZE + "); was " + requested);
    }
    return requested == 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  }

  private static long offset(String token) {
    if (token.isEmpty()) {
      return 0;
    }
    try {
      long offset = Long.parseLong(token);
      if (offset >= 0) {
        return offset;
      }
    } catch (NumberFormatException e) {
      // Refused below, with the same words.
    }
    throw RequestValidator.invalid(
        "page_token",
        "page_token "
            + RequestValidator.echo(token)
            + " is not a token ListJobs returned; leave it empty for the first page");
  }
}
