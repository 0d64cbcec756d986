package t2i.notifier;

import java.util.Map;
import java.util.Optional;

/** Each tenant's signing secret, or the default one. Immutable. */
record SigningSecrets(Map<String, String> byTenant, Optional<String> fallback) {

  SigningSecrets {
    byTenant = Map.copyOf(byTenant);
    byTenant.forEach(
        (tenant, secret) -> {
          if (secret.isBlank()) {
            throw new IllegalArgumentException(
                "t2i.notifier.signing-secrets.\"" + tenant + "\" is blank; give it a secret");
          }
        });
    if (fallback.isPresent() && fallback.get().isBlank()) {
      throw new IllegalArgumentException(
          "t2i.notifier.default-signing-secret is blank; give it a secret or leave it unset");
    }
  }

  static SigningSecrets from(NotifierConfig.Notifier config) {
    return new SigningSecrets(config.signingSecrets(), config.defaultSigningSecret());
  }

  /** The secret a tenant's callbacks are signed with, if any. */
  Optional<String> of(String tenant) {
    String own = byTenant.get(tenant);
    return own != null ? Optional.of(own) : fallback;
  }

  boolean isEmpty() {
    return byTenant.isEmpty() && fallback.isEmpty();
  }
}
