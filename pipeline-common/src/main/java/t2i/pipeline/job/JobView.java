package t2i.pipeline.job;

import java.util.List;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;
import t2i.v1.StateTransition;

/**
 * A snapshot of a job's record as stored in Redis.
 *
 * @param published whether Kafka is known to have the job's submission
 */
public record JobView(
    JobSpec spec,
    JobState state,
    int step,
    int totalSteps,
    String reason,
    List<StateTransition> transitions,
    List<ImageReady> images,
    boolean published) {

  public JobView {
    transitions = List.copyOf(transitions);
    images = List.copyOf(images);
  }

  public boolean isTerminal() {
    return JobStates.isTerminal(state);
  }
}
