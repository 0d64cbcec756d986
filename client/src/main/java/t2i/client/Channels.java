package t2i.client;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.Optional;

/** Opens channels to a t2i gateway. The caller owns the channel and shuts it down. */
public final class Channels {

  /** Images of the largest allowed size fit comfortably. */
  static final int MAX_INBOUND_BYTES = 64 * 1024 * 1024;

  private Channels() {}

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * A channel without an API key.
   *
   * @param target {@code host:port}
   * @throws IllegalArgumentException if the target is not {@code host:port}
   */
  public static ManagedChannel open(String target) {
    return open(target, Optional.empty());
  }

  /**
   * A channel whose every call carries the API key, if one is given ({@code authorization: Bearer
   * KEY}).
   *
   * @param target {@code host:port}
   * @throws IllegalArgumentException if the target is not {@code host:port}, or the key is not
   *     printable ASCII
   */
  public static ManagedChannel open(String target, Optional<String> apiKey) {
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
    NettyChannelBuilder builder =
        NettyChannelBuilder.forAddress(target.substring(0, colon), port)
            .usePlaintext()
            .maxInboundMessageSize(MAX_INBOUND_BYTES);
    apiKey
        .filter(key -> !key.isBlank())
        .ifPresent(
            key -> {
              if (!key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException(
                    "the API key must be printable ASCII without spaces; check --api-key or"
                        + " T2I_API_KEY");
              }
              Metadata headers = new Metadata();
              headers.put(AUTHORIZATION, "Bearer " + key);
              builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
            });
    return builder.build();
  }
}
