package t2i.client;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

/** Opens channels to a t2i gateway. The caller owns the channel and shuts it down. */
public final class Channels {

  /** Images of the largest allowed size fit comfortably. */
  static final int MAX_INBOUND_BYTES = 64 * 1024 * 1024;

  private Channels() {}

  /**
   * @param target {@code host:port}
   * @throws IllegalArgumentException if the target is not {@code host:port}
   */
  public static ManagedChannel open(String target) {
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      throw new IllegalArgumentException(
          "server must be HOST:PORT (e.g. localhost:9000), was '" + target + "'");
    }
    int port;
    try {
      port = Integer.parseInt(target.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("port of '" + target + "' is not a number", e);
    }
    return NettyChannelBuilder.forAddress(target.substring(0, colon), port)
        .usePlaintext()
        .maxInboundMessageSize(MAX_INBOUND_BYTES)
        .build();
  }
}
