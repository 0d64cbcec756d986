package t2i.diffusion;

import t2i.v1.JobState;

/**
 * A job that was stopped before its images were made: cancelled (its record says so already) or
 * past its deadline (the engine noticed; the caller records EXPIRED).
 */
final class JobStopped extends RuntimeException {

  private final JobState state;

  JobStopped(JobState state, String reason) {
    super(reason, null, false, false);
    this.state = state;
  }

  JobState state() {
    return state;
  }
}
