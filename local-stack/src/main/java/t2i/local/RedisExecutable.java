package t2i.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import redis.embedded.core.ExecutableProvider;

/**
 * Finds a {@code redis-server} binary: the one installed on {@code PATH} when there is one, else
 * the binary that embedded-redis bundles for this OS and architecture.
 */
record RedisExecutable(Path path, boolean bundled) {

  static final String NAME = "redis-server";

  /** Looks up {@code name} in the directories of the {@code PATH} environment variable. */
  static Optional<Path> findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null || path.isBlank()) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator, -1)) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * Resolves the binary, asking {@code pathLookup} first; the bundled binary is extracted into
   * {@code extractDir}.
   */
  static RedisExecutable resolve(Function<String, Optional<Path>> pathLookup, Path extractDir)
      throws IOException {
    Optional<Path> installed = pathLookup.apply(NAME);
    if (installed.isPresent()) {
      return new RedisExecutable(installed.get(), false);
    }
    Files.createDirectories(extractDir);
    try {
      File binary = ExecutableProvider.newJarResourceProvider(extractDir.toFile()).get();
      return new RedisExecutable(binary.toPath(), true);
    } catch (RuntimeException e) {
      // embedded-redis throws unchecked errors for an OS or architecture it has no binary for.
      throw new IOException(
          NAME + " is not on PATH and embedded-redis bundles no binary for this platform", e);
    }
  }
}
