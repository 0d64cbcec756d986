package t2i.pipeline.failure;

/** The process cannot go on (a dead engine thread, say) and must be restarted. */
public final class StageFatalError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public StageFatalError(String message, Throwable cause) {
    super(message, cause);
  }

  public StageFatalError(String message) {
    super(message);
  }
}
