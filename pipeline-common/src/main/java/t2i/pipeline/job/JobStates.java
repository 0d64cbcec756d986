package t2i.pipeline.job;

import java.util.List;
import t2i.v1.JobState;

/** Facts about job states that every stage relies on. */
public final class JobStates {

  /** The final states. */
  public static final List<JobState> TERMINAL =
      List.of(JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.EXPIRED);

  private JobStates() {}

  /** A terminal state is final: no later write changes it. */
  public static boolean isTerminal(JobState state) {
    return TERMINAL.contains(state);
  }
}
