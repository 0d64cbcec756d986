package t2i.pipeline.stage;

import org.jboss.logging.Logger;
import sun.misc.Signal;

/**
 * Turns SIGTERM (how Kubernetes and {@code t2i up} stop a service) into an orderly stop that exits
 * 0: the consumers stop taking records, finish or hand back what they hold, commit, and the process
 * exits with success. The JVM's own handling would run the same shutdown but exit 143, which
 * supervisors count as a failure.
 */
public final class TerminationSignal {

  private static final Logger LOG = Logger.getLogger(TerminationSignal.class);

  private TerminationSignal() {}

  /**
   * Runs {@code orderlyExit} (typically {@code Quarkus.asyncExit(0)}) on SIGTERM, on a thread of
   * its own.
   */
  public static void onTerm(String service, Runnable orderlyExit) {
    try {
      Signal.handle(
          new Signal("TERM"),
          signal -> {
            LOG.infof("%s got SIGTERM: stopping in order", service);
            Thread.ofPlatform().name("orderly-exit").start(orderlyExit);
          });
    } catch (IllegalArgumentException e) {
      // No SIGTERM on this platform: the JVM's default handling stays.
      LOG.debugf(e, "SIGTERM cannot be handled here");
    }
  }
}
