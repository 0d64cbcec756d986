package t2i.deploy;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import t2i.client.Channels;
import t2i.client.GenerateClient;
import t2i.client.GenerateCommand;
import t2i.client.GenerationOptions;

/** {@code t2i demo}: start everything locally, generate one request, stop everything. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start Kafka, Redis and all four services on this machine, generate images for PROMPT,",
      "write them to --out, and stop everything again."
    })
final class DemoCommand implements Callable<Integer> {

  @Mixin GenerationOptions options;

  @Mixin ClusterOptions cluster;

  @Override
  public Integer call() throws Exception {
    Path home = Home.locate();
    try (LocalCluster running =
        LocalCluster.start(cluster.options(home), line -> System.err.println("t2i: " + line))) {
      ManagedChannel channel = Channels.open(running.gatewayAddress());
      try {
        int exit = GenerateCommand.run(new GenerateClient(channel), options);
        if (exit != 0) {
          running.deadService().ifPresent(System.err::println);
        }
        return exit;
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        System.err.println("t2i: stopping");
      }
    }
  }
}
