package t2i.launcher;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import t2i.client.Channels;

/**
 * A channel to a gateway: either one already running ({@code --server}), or a local cluster this
 * session starts and stops. Owns the channel and, if it started it, the cluster.
 */
final class GatewaySession implements AutoCloseable {

  private final @Nullable LocalCluster cluster;
  private final ManagedChannel channel;

  private GatewaySession(@Nullable LocalCluster cluster, ManagedChannel channel) {
    this.cluster = cluster;
    this.channel = channel;
  }

  /**
   * @param apiKey sent to a running gateway that requires one; a local cluster runs without
   *     authentication
   */
  static GatewaySession open(
      @Nullable String server, Optional<String> apiKey, ClusterOptions options) throws Exception {
    if (server != null) {
      return new GatewaySession(null, Channels.open(server, apiKey));
    }
    Path home = Home.locate();
    LocalCluster cluster =
        LocalCluster.start(options.options(home), line -> System.err.println("t2i: " + line));
    try {
      return new GatewaySession(cluster, Channels.open(cluster.gatewayAddress()));
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  ManagedChannel channel() {
    return channel;
  }

  /** For a local cluster: the first service that has exited, with the end of its log. */
  Optional<String> deadService() {
    return cluster == null ? Optional.empty() : cluster.deadService();
  }

  @Override
  public void close() {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      // Stopping anyway; whoever interrupted learns it from the flag.
      Thread.currentThread().interrupt();
    } finally {
      if (cluster != null) {
        System.err.println("t2i: stopping");
        cluster.close();
      }
    }
  }
}
