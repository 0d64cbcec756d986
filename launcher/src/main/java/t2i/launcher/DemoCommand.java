package t2i.launcher;

import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import t2i.client.GenerateClient;
import t2i.client.GenerateCommand;
import t2i.client.GenerationOptions;

/** {@code t2i demo}: start everything locally, generate one request, stop everything. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start Kafka, Redis and the services on this machine, generate images for PROMPT,",
      "write them to --out, and stop everything again."
    })
final class DemoCommand implements Callable<Integer> {

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  GenerationOptions options;

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ClusterOptions cluster;

  @Override
  public Integer call() throws Exception {
    try (GatewaySession session = GatewaySession.open(null, Optional.empty(), cluster)) {
      int exit = GenerateCommand.run(new GenerateClient(session.channel()), options);
      if (exit != 0) {
        session.deadService().ifPresent(System.err::println);
      }
      return exit;
    }
  }
}
