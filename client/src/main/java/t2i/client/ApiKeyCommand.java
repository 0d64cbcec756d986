package t2i.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code t2i api-key TENANT}: mints a random API key for a tenant and prints it, with the gateway
 * configuration line that accepts it. The gateway is configured with the key's SHA-256 only, so the
 * key itself is shown once, here.
 */
@Command(
    name = "api-key",
    mixinStandardHelpOptions = true,
    description = {
      "Mint an API key for TENANT. Prints the key (line 1; give it to the client: --api-key or"
          + " T2I_API_KEY) and the gateway setting that accepts it (line 2; only its hash)."
    })
public final class ApiKeyCommand implements Callable<Integer> {

  /** As the gateway accepts tenant names. */
  static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** 256 random bits: guessing is hopeless, and the hash needs no salt. */
  private static final int KEY_BYTES = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  // Required, so picocli has set it before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Parameters(paramLabel = "TENANT", description = "Whose key: letters, digits, '.', '_', '-'.")
  String tenant;

  @Override
  public Integer call() {
    if (!TENANT.matcher(tenant).matches()) {
      throw new IllegalArgumentException(
          "TENANT must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit; was '"
              + tenant
              + "'");
    }
    String key = mint();
    System.out.println(key);
    System.out.println("t2i.gateway.auth.keys=" + tenant + ":" + sha256Hex(key));
    System.err.println(
        "t2i: the key is shown only now. Add the second line to the gateway's configuration"
            + " (several keys comma-separated; environment T2I_GATEWAY_AUTH_KEYS).");
    return 0;
  }

  static String mint() {
    byte[] bytes = new byte[KEY_BYTES];
    RANDOM.nextBytes(bytes);
    return "t2i_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The hex SHA-256 of the key's UTF-8 bytes, as the gateway's t2i.gateway.auth.keys holds. */
  static String sha256Hex(String key) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
