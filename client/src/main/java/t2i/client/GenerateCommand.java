package t2i.client;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code t2i generate}: one request against any running gateway. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = "Generate images with a running t2i gateway.")
public final class GenerateCommand implements Callable<Integer> {

  /** The gateway's retry hint on refusals, in milliseconds. */
  static final Metadata.Key<String> RETRY_AFTER_MS =
      Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);

  // Required, so picocli has set it before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Option(
      names = "--server",
      required = true,
      paramLabel = "HOST:PORT",
      description = "The gateway's gRPC address.")
  String server;

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  GenerationOptions options;

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ApiKeyOption apiKey;

  @Override
  public Integer call() throws IOException, InterruptedException {
    ManagedChannel channel = Channels.open(server, apiKey.value());
    try {
      return run(new GenerateClient(channel), options);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The status as a user reads it: code, the server's reason, and when to retry if it said. */
  static String describe(StatusRuntimeException e) {
    StringBuilder text = new StringBuilder(e.getStatus().getCode().toString());
    if (e.getStatus().getDescription() != null) {
      text.append(": ").append(e.getStatus().getDescription());
    }
    String retryAfter = e.getTrailers() == null ? null : e.getTrailers().get(RETRY_AFTER_MS);
    if (retryAfter != null) {
      text.append(" (retry after ").append(retryAfter).append(" ms)");
    }
    return text.toString();
  }

  /**
   * Generates with the given client, reports on stderr, writes the files; returns the exit code.
   */
  public static int run(GenerateClient client, GenerationOptions options) throws IOException {
    Generation generation;
    try {
      generation =
          client.generate(options.toRequest(), options.timeout(), new ProgressBar(System.err));
    } catch (StatusRuntimeException e) {
      System.err.println();
      System.err.println("error: " + describe(e));
      return 1;
    }
    List<Path> files = ImageFiles.write(options.out(), generation.images());
    for (Path file : files) {
      System.out.println(file);
    }
    return files.isEmpty() ? 1 : 0;
  }
}
