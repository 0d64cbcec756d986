package t2i.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.hibernate.validator.constraints.time.DurationMin;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.ModelSettings;
import t2i.pipeline.config.RedisSettings;
import t2i.pipeline.stage.Stages;

/** Configuration of the gateway, under {@code t2i.*}. */
@ConfigMapping(prefix = "t2i")
public interface GatewayConfig {

  KafkaSettings kafka();

  RedisSettings redis();

  ModelSettings models();

  Gateway gateway();

  interface Gateway {
    /** Largest accepted image width in pixels. */
    @WithDefault("2048")
    @Min(8)
    @Max(8192)
    int maxWidth();

    /** Largest accepted image height in pixels. */
    @WithDefault("2048")
    @Min(8)
    @Max(8192)
    int maxHeight();

    /** Most denoising steps a request may ask for. */
    @WithDefault("150")
    @Min(1)
    @Max(1000)
    int maxSteps();

    /** Most images one request may ask for. */
    @WithDefault("8")
    @Min(1)
    @Max(64)
    int maxCount();

    /** Longest accepted prompt or negative prompt, in characters. */
    @WithDefault("20000")
    @Min(1)
    int maxPromptChars();

    /** Largest accepted guidance scale: far beyond this images only saturate. */
    @WithDefault("100")
    @DecimalMin("1")
    float maxGuidanceScale();

    /** Steps when a request leaves them unset. */
    @WithDefault("25")
    @Min(1)
    int defaultSteps();

    /** Guidance scale when a request leaves it unset. */
    @WithDefault("7.5")
    @DecimalMin("1")
    float defaultGuidanceScale();

    /**
     * How long a job may take from submission before it is dropped as EXPIRED. A Generate call with
     * an earlier deadline gives its job that deadline instead.
     */
    @WithDefault("PT10M")
    @DurationMin(seconds = 1, message = "must be at least 1 second, was ${validatedValue}")
    Duration jobTimeout();

    /** Most Generate and WatchJob streams this replica serves at once. */
    @WithDefault("1000")
    @Min(1)
    int maxStreams();

    /**
     * Most unary calls (Submit, GetJob, Cancel, ...) this replica works on or holds at once; more
     * are refused at once instead of waiting in an unbounded queue for a worker thread.
     */
    @WithDefault("256")
    @Min(1)
    int maxConcurrentCalls();

    /**
     * Whether the gateway queues each job already tokenized, on the encoders' topic ({@code
     * t2i.kafka.topics.tokenized}), instead of on the tokenizer service's ({@code
     * t2i.kafka.topics.jobs}). The gateway tokenizes every prompt anyway to check that it fits, so
     * this saves a hop through Kafka, and the tokenizer service then has no work. Off by default:
     * tokenization then scales with the tokenizer service instead of with the gateways.
     */
    @WithDefault("false")
    boolean publishTokenized();

    /** How long Submit and Generate wait for Kafka to acknowledge a new job. */
    @WithDefault("PT30S")
    @DurationMin(millis = 100, message = "must be at least 100ms, was ${validatedValue}")
    Duration publishTimeout();

    /** How often each open stream catches up from its job's record, in case it missed an event. */
    @WithDefault("PT2S")
    @DurationMin(millis = 10, message = "must be at least 10ms, was ${validatedValue}")
    Duration reconcileInterval();

    /**
     * How often the gateway looks for jobs past their deadline that nobody ended (recorded but
     * never queued, or left by stages that were away), to end them.
     */
    @WithDefault("PT5S")
    @DurationMin(millis = 100, message = "must be at least 100ms, was ${validatedValue}")
    Duration sweepInterval();

    /**
     * How long after a queued job's deadline its stages have to end it themselves before the sweep
     * ends it EXPIRED.
     */
    @WithDefault("PT30S")
    @DurationMin(millis = 0, message = "must not be negative, was ${validatedValue}")
    Duration expiryGrace();

    /** How often the gateway checks that Kafka and Redis answer, for the gRPC health service. */
    @WithDefault("PT2S")
    @DurationMin(millis = 10, message = "must be at least 10ms, was ${validatedValue}")
    Duration healthCheckInterval();

    Auth auth();

    Quota quota();

    Admission admission();

    Callbacks callbacks();

    Web web();
  }

  /**
   * The web page and its HTTP/JSON API on the HTTP port ({@code quarkus.http.port}, {@code
   * T2I_HTTP_PORT}): the same job service, keys, tenants and quotas as gRPC.
   */
  interface Web {
    /** Threads that run the web API's calls (each a gRPC call in-process). */
    @WithDefault("16")
    @Min(1)
    int threads();

    /** Web API calls and event streams in flight at once; more are refused with 503. */
    @WithDefault("256")
    @Min(1)
    int maxCalls();
  }

  /**
   * Which callback URLs (GenerateRequest.callback_url) the gateway accepts; the notifier calls them
   * when a job ends. By default none: nothing is called unless an operator allows it.
   */
  interface Callbacks {
    /** Schemes a callback URL may have: https, http, or both. Unset: callbacks are refused. */
    Optional<List<@Pattern(regexp = "https?", message = "must be https or http") String>>
        allowedSchemes();

    /**
     * Hosts a callback URL may name: exact names, or *.example.com for any name under example.com.
     * Unset: any host (still subject to allow-private-addresses).
     */
    Optional<List<String>> allowedHosts();

    /** Whether callbacks may go to private, loopback or link-local addresses. */
    @WithDefault("false")
    boolean allowPrivateAddresses();

    /** Longest callback URL accepted. */
    @WithDefault("2048")
    @Min(16)
    @Max(8192)
    int maxUrlChars();
  }

  /** API keys and the tenants they stand for. */
  interface Auth {
    /**
     * Whether calls need an API key ({@code authorization: Bearer KEY} or {@code x-api-key: KEY}).
     * Without authentication every caller is one anonymous tenant.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * The accepted keys as {@code TENANT:SHA256HEX}, the hex SHA-256 of the key's UTF-8 bytes: only
     * hashes are configured. {@code ./t2i api-key TENANT} mints a key and prints its entry.
     */
    Optional<List<String>> keys();
  }

  /** Per-tenant limits, shared by every replica through Redis. */
  interface Quota {
    /** Most jobs of one tenant that may be queued or running at once. */
    @WithDefault("16")
    @Min(1)
    int maxJobsInFlight();

    /** Most jobs one tenant may submit per {@link #submissionWindow()}. */
    @WithDefault("120")
    @Min(1)
    int maxSubmissions();

    /** The fixed window over which {@link #maxSubmissions()} counts. */
    @WithDefault("PT1M")
    @DurationMin(millis = 1, message = "must be at least 1ms, was ${validatedValue}")
    Duration submissionWindow();

    /**
     * The retry hint sent with a refusal whose end the gateway cannot predict (jobs in flight,
     * concurrent calls).
     */
    @WithDefault("PT5S")
    @DurationMin(millis = 1, message = "must be at least 1ms, was ${validatedValue}")
    Duration retryAfter();
  }

  /** Admission of new jobs by how far the workers are behind, for all tenants together. */
  interface Admission {
    /**
     * Most accepted jobs that may wait ahead of the diffusion workers (not yet taken by the
     * tokenizer, the encoder or the diffusion workers); at this many, new jobs are refused.
     */
    @WithDefault("1000")
    @Min(1)
    long maxQueuedJobs();

    /** How often the consumer lag behind the job topics is measured (in the background). */
    @WithDefault("PT1S")
    @DurationMin(millis = 10, message = "must be at least 10ms, was ${validatedValue}")
    Duration refreshInterval();

    /** The retry hint sent with an admission refusal. */
    @WithDefault("PT5S")
    @DurationMin(millis = 1, message = "must be at least 1ms, was ${validatedValue}")
    Duration retryAfter();

    /** Consumer group of the tokenizer service, reading the jobs topic. */
    @WithDefault(Stages.TOKENIZER_GROUP)
    String tokenizerGroup();

    /** Consumer group of the encoder workers, reading the tokenized topic. */
    @WithDefault(Stages.ENCODER_GROUP)
    String encoderGroup();

    /** Consumer group of the diffusion workers, reading the encoded topic. */
    @WithDefault(Stages.DIFFUSION_GROUP)
    String diffusionGroup();
  }
}
