package t2i.launcher;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the launcher's terminal for the user: the in-process broker and the gRPC client log through
 * java.util.logging, and only their problems are of interest here.
 */
final class LauncherLogging {

  /** Held so the configured levels are not lost to garbage collection. */
  private static final Logger[] CONFIGURED = {
    Logger.getLogger(""),
    Logger.getLogger("org.apache.kafka"),
    Logger.getLogger("kafka"),
    Logger.getLogger("io.grpc")
  };

  private LauncherLogging() {}

  static void quiet() {
    CONFIGURED[0].setLevel(Level.WARNING);
    // The single-node broker warns about things that are normal for it (an empty metadata log).
    CONFIGURED[1].setLevel(Level.SEVERE);
    CONFIGURED[2].setLevel(Level.SEVERE);
    CONFIGURED[3].setLevel(Level.WARNING);
  }
}
