package t2i.pipeline.failure;

/**
 * What a failure means for the job and the process; {@link Failures#classify} decides, and the
 * stage loop acts on it the same way in every stage.
 */
public enum FailureKind {
  /**
   * The job's own fault (a model that is not installed, a request the model cannot take): the job
   * ends FAILED at once, with a reason that says what to change.
   */
  PERMANENT,

  /**
   * Infrastructure that is away for a while (Redis, Kafka, a full queue): the stage stops taking
   * new work and retries with capped backoff until the job's deadline. A job never fails for this.
   */
  TRANSIENT,

  /**
   * The process cannot go on (out of memory, a broken engine thread): it exits non-zero so that its
   * supervisor restarts it; unfinished records are redelivered.
   */
  FATAL,

  /**
   * Anything else, that is a bug or a fault nobody foresaw: retried a few times in case it was a
   * fluke, then set aside in the dead-letter topic and the job ends FAILED.
   */
  UNEXPECTED
}
