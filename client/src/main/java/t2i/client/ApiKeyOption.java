package t2i.client;

import java.util.Optional;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The API key a command sends to the gateway: {@code --api-key}, else {@code T2I_API_KEY}. */
public final class ApiKeyOption {

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      defaultValue = "${env:T2I_API_KEY}",
      description = "API key for a gateway with authentication (default: $T2I_API_KEY).")
  @Nullable String key;

  /** The key, if one was given. */
  public Optional<String> value() {
    return Optional.ofNullable(key).filter(k -> !k.isBlank());
  }
}
