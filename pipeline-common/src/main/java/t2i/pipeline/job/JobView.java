package t2i.pipeline.job;

import java.util.List;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;
import t2i.v1.StateTransition;

/** A snapshot of a job's record as stored in Redis. */
public record JobView(
    JobSpec spec,
    JobState state,
    int step,
    int totalSteps,
    String reason,
    List<StateTransition> transitions,
    List<ImageReady> images) {

  public JobView {
    transitions = List.copyOf(transitions);
    images = List.copyOf(images);
  }

  public boolean isTerminal() {
    return JobStates.isTerminal(state);
  }
}
