package t2i.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code t2i up}: run the local stack in the foreground until interrupted. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = "Run Kafka, Redis and the services on this machine until Ctrl+C.")
final class UpCommand implements Callable<Integer> {

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ClusterOptions cluster;

  @Override
  public Integer call() throws Exception {
    Path home = Home.locate();
    LocalCluster running =
        LocalCluster.start(cluster.options(home), line -> System.err.println("t2i: " + line));
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        Thread.ofPlatform()
            .unstarted(
                () -> {
                  System.err.println("t2i: stopping");
                  RunningCluster.forget(home);
                  running.close();
                  stopped.countDown();
                });
    Runtime.getRuntime().addShutdownHook(hook);
    System.out.println("t2i is up. Gateway: " + running.gatewayAddress());
    System.out.println("Web page: " + running.webAddress());
    System.out.println(
        "Try: ./t2i generate --server "
            + running.gatewayAddress()
            + " \"a red circle\" --out x.png");
    RunningCluster.save(
        home, running.gatewayAddress(), running.kafkaBootstrapServers(), running.metricsUrls());
    System.out.println(
        "Metrics (Prometheus): "
            + String.join(" ", running.metricsUrls().values())
            + "\nWatch them with ./t2i top; load it with ./t2i bench --rate 10");
    System.out.println("Press Ctrl+C to stop.");
    // The cluster's supervisor restarts a service that dies, and says so on stderr.
    stopped.await();
    return 0;
  }
}
