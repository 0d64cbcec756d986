package t2i.pipeline.failure;

/**
 * Something the stage depends on is missing for now (data a restarted Redis lost, a queue that is
 * full, an engine that is restarting); trying again later is expected to work.
 */
public final class InfrastructureUnavailable extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public InfrastructureUnavailable(String message) {
    super(message);
  }

  public InfrastructureUnavailable(String message, Throwable cause) {
    super(message, cause);
  }
}
