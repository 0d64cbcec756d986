package t2i.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The API keys a gateway accepts and the tenant each stands for. Only SHA-256 hashes of the keys
 * are known here (configured as {@code TENANT:SHA256HEX}), so configuration and memory never hold a
 * usable key. Immutable and thread-safe.
 */
final class ApiKeys {

  /** Tenant names are safe in Redis keys, log lines and messages. */
  static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Longer header values are not keys; they are refused before hashing. */
  static final int MAX_KEY_CHARS = 256;

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

  // Entries are matched with MessageDigest.isEqual on the hash; record equality is never used.
  @SuppressWarnings("ArrayRecordComponent")
  private record Entry(String tenant, byte[] hash) {}

  private final List<Entry> entries;

  private ApiKeys(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * @param configured entries {@code TENANT:SHA256HEX}
   * @throws IllegalArgumentException naming the first malformed entry, or if there is none
   */
  static ApiKeys parse(List<String> configured) {
    if (configured.isEmpty()) {
      throw new IllegalArgumentException(
          "Authentication is on (t2i.gateway.auth.enabled=true) but no API keys are configured."
              + " Mint a key with './t2i api-key TENANT' and set the line it prints,"
              + " t2i.gateway.auth.keys=TENANT:SHA256HEX (environment T2I_GATEWAY_AUTH_KEYS;"
              + " several keys comma-separated), or turn authentication off for local use with"
              + " t2i.gateway.auth.enabled=false.");
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < configured.size(); i++) {
      String entry = configured.get(i).strip();
      int colon = entry.lastIndexOf(':');
      String tenant = colon < 0 ? "" : entry.substring(0, colon);
      String hash = colon < 0 ? "" : entry.substring(colon + 1);
      if (!TENANT.matcher(tenant).matches() || !SHA256_HEX.matcher(hash).matches()) {
        throw new IllegalArgumentException(
            "t2i.gateway.auth.keys entry "
                + (i + 1)
                + " must be TENANT:SHA256HEX (a tenant of letters, digits, '.', '_' or '-', up to"
                + " 64 characters, and the 64 hex digits of the key's SHA-256, as"
                + " './t2i api-key TENANT' prints it)");
      }
      entries.add(new Entry(tenant, HexFormat.of().parseHex(hash)));
    }
    return new ApiKeys(entries);
  }

  /**
   * The tenant of a key, or empty if no configured hash matches. Compares with every entry in
   * constant time, so the time taken tells nothing about how close a guess came.
   */
  Optional<String> tenantOf(String key) {
    if (key.isEmpty() || key.length() > MAX_KEY_CHARS) {
      return Optional.empty();
    }
    byte[] hash = sha256(key);
    String found = null;
    for (Entry entry : entries) {
      if (MessageDigest.isEqual(entry.hash(), hash) && found == null) {
        found = entry.tenant();
      }
    }
    return Optional.ofNullable(found);
  }

  /** The tenants that have keys, each once, in the order configured. */
  List<String> tenants() {
    return entries.stream().map(Entry::tenant).distinct().toList();
  }

  /** The hex SHA-256 of a key's UTF-8 bytes: what {@code t2i.gateway.auth.keys} holds. */
  static String hashHex(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }

  private static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
