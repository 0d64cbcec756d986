package t2i.pipeline.failure;

import org.jspecify.annotations.Nullable;

/**
 * The job cannot succeed, for a reason of its own that its owner can act on; the message is that
 * reason, shown to the client as it is.
 */
public final class JobFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public JobFailure(String reason) {
    super(reason);
  }

  /** A failure whose reason is the message of its cause, which may have none. */
  public JobFailure(@Nullable String reason, Throwable cause) {
    super(reason, cause);
  }
}
