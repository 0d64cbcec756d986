package t2i.local;

import org.jspecify.annotations.Nullable;

/**
 * A local server did not come up. The message names the server and says why; where the server
 * printed something before it failed, the message includes that output.
 */
public final class StartupException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  StartupException(String message) {
    super(message);
  }

  StartupException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
