package t2i.pipeline.stage;

import org.jboss.logging.Logger;

/** Closes a service's parts in order on shutdown, each even if an earlier one failed. */
final class Closeables {

  private static final Logger LOG = Logger.getLogger(Closeables.class);

  private Closeables() {}

  /**
   * Closes each resource in the given order (null entries were never opened and are skipped).
   * Failures are logged with the resource, and shutdown goes on.
   */
  public static void closeInOrder(AutoCloseable... resources) {
    for (AutoCloseable resource : resources) {
      if (resource == null) {
        continue;
      }
      try {
        resource.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        LOG.warnf("Interrupted while closing %s", resource);
      } catch (Exception e) {
        LOG.errorf(e, "Closing %s failed", resource);
      }
    }
  }
}
