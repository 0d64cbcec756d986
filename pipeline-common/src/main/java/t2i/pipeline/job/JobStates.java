package t2i.pipeline.job;

import t2i.v1.JobState;

/** Facts about job states that every stage relies on. */
public final class JobStates {

  private JobStates() {}

  /** A terminal state is final: no later write changes it. */
  public static boolean isTerminal(JobState state) {
    return switch (state) {
      case SUCCEEDED, FAILED, CANCELLED, EXPIRED -> true;
      default -> false;
    };
  }
}
