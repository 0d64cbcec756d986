package t2i.launcher;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the t2i checkout whose services the launcher starts. */
final class Home {

  private Home() {}

  /** {@code -Dt2i.home} (set by the {@code t2i} script), else the working directory. */
  static Path locate() {
    String configured = System.getProperty("t2i.home");
    Path home = Path.of(configured != null ? configured : "").toAbsolutePath().normalize();
    if (!Files.isRegularFile(home.resolve("pom.xml"))
        || !Files.isDirectory(home.resolve("models"))) {
      throw new IllegalStateException(
          home + " is not a t2i checkout; run the launcher through the t2i script at its root");
    }
    return home;
  }
}
