package t2i.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;

/**
 * Formats a KRaft data directory the way {@code kafka-storage.sh format} does, so a server can
 * start on it. A directory that is already formatted is kept as it is: its cluster id and topics
 * survive a restart.
 *
 * <p>Goes through {@link StorageTool} rather than the {@code Formatter} it wraps: StorageTool ships
 * in kafka_2.13, whose version the Quarkus BOM manages, while Formatter's module would need a
 * version pinned here that could drift from the broker's.
 */
final class StorageFormat {

  private StorageFormat() {}

  private static boolean isFormatted(Path dataDir) {
    return Files.exists(dataDir.resolve("meta.properties"));
  }

  /** Formats {@code dataDir}, which {@code serverProperties} name as log and metadata dir. */
  static void formatIfNeeded(Path dataDir, Properties serverProperties) throws IOException {
    if (isFormatted(dataDir)) {
      return;
    }
    // StorageTool reads the server configuration from a file, as the command line tool does.
    Path configFile = Files.createTempFile("local-kafka-", ".properties");
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exitCode;
    try (PrintStream printStream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      try (OutputStream out = Files.newOutputStream(configFile)) {
        serverProperties.store(out, "local-stack broker");
      }
      String[] args = {
        "format", "--cluster-id", Uuid.randomUuid().toString(), "--config", configFile.toString()
      };
      exitCode = StorageTool.execute(args, printStream);
    } catch (RuntimeException e) {
      throw new StartupException(failure(dataDir, e.toString(), output), e);
    } finally {
      Files.deleteIfExists(configFile);
    }
    if (exitCode != 0) {
      throw new StartupException(failure(dataDir, "exit code " + exitCode, output));
    }
  }

  private static String failure(Path dataDir, String reason, ByteArrayOutputStream output) {
    return "Could not format Kafka storage in "
        + dataDir
        + ": "
        + reason
        + "\n"
        + output.toString(StandardCharsets.UTF_8);
  }
}
