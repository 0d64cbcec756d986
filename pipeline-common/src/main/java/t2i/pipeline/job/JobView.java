package t2i.pipeline.job;

import java.util.List;
import java.util.Optional;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.CallbackAttempt;
import t2i.v1.CallbackOutcome;
import t2i.v1.JobState;
import t2i.v1.StateTransition;

/**
 * A snapshot of a job's record as stored in Redis.
 *
 * @param published whether Kafka is known to have the job's submission
 * @param callbackAttempts each attempt to deliver the job's callback, oldest first
 * @param queuePlace the last queue the job entered (it may have left it since)
 */
public record JobView(
    JobSpec spec,
    JobState state,
    int step,
    int totalSteps,
    String reason,
    List<StateTransition> transitions,
    List<ImageReady> images,
    boolean published,
    List<CallbackAttempt> callbackAttempts,
    Optional<QueuePlace> queuePlace) {

  public JobView {
    transitions = List.copyOf(transitions);
    images = List.copyOf(images);
    callbackAttempts = List.copyOf(callbackAttempts);
  }

  /** Whether the job's callback was delivered, or given up on: nothing more is to be sent. */
  public boolean callbackSettled() {
    return callbackAttempts.stream()
        .anyMatch(
            a ->
                a.getOutcome() == CallbackOutcome.DELIVERED
                    || a.getOutcome() == CallbackOutcome.GAVE_UP);
  }

  /** The queue the job waits in now: its last one, while no stage has taken the job from it. */
  public Optional<QueuePlace> waitingIn() {
    return queuePlace.filter(place -> place.waitsIn() == state);
  }

  public boolean isTerminal() {
    return JobStates.isTerminal(state);
  }
}
