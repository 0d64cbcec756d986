package t2i.notifier;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature a receiver checks: {@code X-T2I-Signature: sha256=HEX}, the HMAC-SHA256 of {@code
 * TIMESTAMP.BODY} with the tenant's secret, where TIMESTAMP is the {@code X-T2I-Timestamp} header
 * (Unix seconds). Signing the timestamp lets a receiver reject old deliveries replayed to it.
 */
final class WebhookSignature {

  static final String SIGNATURE_HEADER = "X-T2I-Signature";
  static final String TIMESTAMP_HEADER = "X-T2I-Timestamp";
  static final String DELIVERY_HEADER = "X-T2I-Delivery";
  static final String ATTEMPT_HEADER = "X-T2I-Attempt";

  private WebhookSignature() {}

  static String sign(String secret, long timestampSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
    }
  }
}
