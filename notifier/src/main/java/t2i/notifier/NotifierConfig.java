package t2i.notifier;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.hibernate.validator.constraints.time.DurationMin;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.RedisSettings;

/** Configuration of the notifier, under {@code t2i.*}. */
@ConfigMapping(prefix = "t2i")
public interface NotifierConfig {

  KafkaSettings kafka();

  RedisSettings redis();

  Notifier notifier();

  interface Notifier {
    /** Kafka consumers (threads) in this process; more than the events topic's partitions idle. */
    @WithDefault("1")
    @Min(1)
    int consumers();

    /**
     * Callbacks each consumer has in flight at once, retries included: a slow receiver holds only
     * its own, and at this many the consumer waits.
     */
    @WithDefault("256")
    @Min(1)
    @Max(100_000)
    int maxInFlight();

    /** How long to wait for a receiver's TCP (and TLS) connection. */
    @WithDefault("PT5S")
    @DurationMin(millis = 10, message = "must be at least 10ms, was ${validatedValue}")
    Duration connectTimeout();

    /** How long to wait for a receiver's answer to one POST. */
    @WithDefault("PT10S")
    @DurationMin(millis = 10, message = "must be at least 10ms, was ${validatedValue}")
    Duration requestTimeout();

    /** Wait before the second attempt; each later wait doubles, up to max-backoff. */
    @WithDefault("PT1S")
    @DurationMin(millis = 1, message = "must be at least 1ms, was ${validatedValue}")
    Duration firstBackoff();

    /** Longest wait between two attempts. */
    @WithDefault("PT5M")
    @DurationMin(millis = 1, message = "must be at least 1ms, was ${validatedValue}")
    Duration maxBackoff();

    /** After this long since the job ended, a callback that keeps failing is given up. */
    @WithDefault("PT1H")
    @DurationMin(seconds = 1, message = "must be at least 1 second, was ${validatedValue}")
    Duration giveUpAfter();

    /**
     * Whether callbacks may go to private, loopback or link-local addresses (checked again at each
     * delivery; the gateway checks at submission).
     */
    @WithDefault("false")
    boolean allowPrivateAddresses();

    /**
     * Each tenant's HMAC-SHA256 secret for X-T2I-Signature: {@code
     * t2i.notifier.signing-secrets."TENANT"=SECRET}.
     */
    Map<String, String> signingSecrets();

    /**
     * The secret for tenants without their own (and for jobs submitted without authentication).
     * Without either, a job's callback is not sent, and its attempt says why.
     */
    Optional<String> defaultSigningSecret();
  }
}
