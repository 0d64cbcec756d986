package t2i.pipeline.stage;

import org.jboss.logging.Logger;

/**
 * Ends a service process that cannot go on, so that its supervisor ({@code t2i up}, Kubernetes)
 * starts a fresh one: unfinished records are redelivered to it or to another replica.
 */
public final class ProcessExit {

  /** The exit status of a process stopped by an internal fault (sysexits' EX_SOFTWARE). */
  public static final int FATAL_STATUS = 70;

  private static final Logger LOG = Logger.getLogger(ProcessExit.class);

  private ProcessExit() {}

  /**
   * Logs why and exits with {@link #FATAL_STATUS}, running the shutdown hooks (the service's own
   * orderly stop) on a thread of its own, so that a caller the shutdown waits for cannot block it.
   */
  public static void fatal(String service, Throwable cause) {
    LOG.fatalf(cause, "%s cannot go on and exits with status %d", service, FATAL_STATUS);
    Thread.ofPlatform().name("fatal-exit").start(() -> System.exit(FATAL_STATUS));
  }
}
