package t2i.client;

import io.grpc.ManagedChannel;
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

  @Option(
      names = "--server",
      required = true,
      paramLabel = "HOST:PORT",
      description = "The gateway's gRPC address.")
  String server;

  @Mixin GenerationOptions options;

  @Override
  public Integer call() throws IOException, InterruptedException {
    ManagedChannel channel = Channels.open(server);
    try {
      return run(new GenerateClient(channel), options);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
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
      System.err.println(
          "error: "
              + e.getStatus().getCode()
              + (e.getStatus().getDescription() == null
                  ? ""
                  : ": " + e.getStatus().getDescription()));
      return 1;
    }
    List<Path> files = ImageFiles.write(options.out(), generation.images());
    for (Path file : files) {
      System.out.println(file);
    }
    return files.isEmpty() ? 1 : 0;
  }
}
