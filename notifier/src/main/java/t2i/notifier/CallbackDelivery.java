package t2i.notifier;

import com.google.protobuf.Timestamp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.callback.CallbackRules;
import t2i.pipeline.job.JobStates;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobView;
import t2i.v1.CallbackAttempt;
import t2i.v1.CallbackOutcome;
import t2i.v1.StateTransition;

/**
 * Delivers job callbacks over HTTP, each on its own schedule: a signed POST, and after a timeout, a
 * refused connection, 408, 429 or 5xx another one after a capped exponential backoff, until the
 * receiver answers 2xx, refuses for good (another 4xx, or a redirect, which is never followed), or
 * give-up-after has passed since the job ended. Every attempt is recorded on the job. No thread
 * waits for a receiver, so a slow one holds back only its own delivery. Owns its HTTP client, timer
 * and the small pool for name look-ups and Redis writes; closing abandons the deliveries in flight,
 * whose events are consumed again after a restart. Thread-safe.
 */
final class CallbackDelivery implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(CallbackDelivery.class);
  private static final String SETTINGS = "t2i.notifier.";

  /**
   * @param connectTimeout how long to wait for a connection
   * @param requestTimeout how long to wait for an answer to one POST
   * @param firstBackoff wait before the second attempt; each later one doubles
   * @param maxBackoff longest wait between attempts
   * @param giveUpAfter no attempt starts this long after the job ended
   */
  record Settings(
      Duration connectTimeout,
      Duration requestTimeout,
      Duration firstBackoff,
      Duration maxBackoff,
      Duration giveUpAfter) {

    static Settings from(NotifierConfig.Notifier config) {
      return new Settings(
          config.connectTimeout(),
          config.requestTimeout(),
          config.firstBackoff(),
          config.maxBackoff(),
          config.giveUpAfter());
    }
  }

  /** How one attempt ended. */
  private record Result(CallbackOutcome outcome, int status, String error) {}

  /** One job's callback: what is sent every time. */
  @SuppressWarnings("ArrayRecordComponent") // Never compared: the body is only sent.
  private record Callback(
      String jobId,
      URI url,
      String secret,
      byte[] body,
      String deliveryId,
      Instant endedAt,
      CompletableFuture<Void> settled) {}

  private final HttpClient http;
  private final ScheduledExecutorService timer;
  private final ExecutorService blocking;
  private final JobStore store;
  private final CallbackRules addresses;
  private final SigningSecrets secrets;
  private final Settings settings;
  private final InstantSource clock;
  private final NotifierMetrics metrics;

  /**
   * @param addresses checks each receiver's address again at delivery (a name may resolve elsewhere
   *     than at submission)
   * @param maxPending the most deliveries in flight at once (bounds the work queues)
   */
  CallbackDelivery(
      JobStore store,
      CallbackRules addresses,
      SigningSecrets secrets,
      Settings settings,
      InstantSource clock,
      NotifierMetrics metrics,
      int maxPending) {
    this.store = store;
    this.addresses = addresses;
    this.secrets = secrets;
    this.settings = settings;
    this.clock = clock;
    this.metrics = metrics;
    // Each delivery has at most one task queued here at a time, so maxPending bounds the queue.
    this.blocking =
        new ThreadPoolExecutor(
            4,
            4,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(maxPending),
            Thread.ofPlatform().name("notifier-io-", 0).daemon(true).factory());
    // One retry waits here per delivery at most, so its (unbounded) queue holds <= maxPending.
    ScheduledThreadPoolExecutor scheduler =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("notifier-timer").daemon(true).factory());
    scheduler.setRemoveOnCancelPolicy(true);
    this.timer = scheduler;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(settings.connectTimeout())
            .executor(blocking)
            .build();
  }

  /**
   * Delivers the callback of a job that has ended. Completes when the receiver accepted it or it
   * was given up, exceptionally when an attempt could not be recorded (Redis away: the event is
   * handled again, and the receiver sees the same delivery id). Cancelling it stops the retries.
   */
  CompletableFuture<Void> deliver(JobView job) {
    String jobId = job.spec().getJobId();
    CompletableFuture<Void> settled = new CompletableFuture<>();
    int firstAttempt = job.callbackAttempts().size() + 1;
    URI url = URI.create(job.spec().getRequest().getCallbackUrl());
    Optional<String> secret = secrets.of(job.spec().getTenant());
    if (secret.isEmpty()) {
      String tenant = job.spec().getTenant();
      return record(
          jobId,
          firstAttempt,
          new Result(
              CallbackOutcome.GAVE_UP,
              0,
              "no signing secret for tenant '"
                  + tenant
                  + "': set t2i.notifier.signing-secrets.\""
                  + tenant
                  + "\" or t2i.notifier.default-signing-secret"));
    }
    Callback callback =
        new Callback(
            jobId,
            url,
            secret.get(),
            WebhookPayload.of(job),
            WebhookPayload.deliveryId(jobId),
            endedAt(job),
            settled);
    metrics.started();
    // Counts the end however it comes (delivered, given up, failed or cancelled); nothing waits
    // on this stage itself.
    CompletableFuture<Void> unused = settled.whenComplete((v, e) -> metrics.settled());
    attempt(callback, firstAttempt);
    return settled;
  }

  private void attempt(Callback callback, int attempt) {
    if (callback.settled().isDone()) {
      return;
    }
    // The chain ends in settling the callback, or in scheduling the next attempt: its own result
    // is of no use to anyone.
    CompletableFuture<Result> unused =
        CompletableFuture.supplyAsync(
                () -> addresses.addressRefusal(callback.url().getHost(), SETTINGS), blocking)
            .thenCompose(
                refusal ->
                    refusal.isPresent()
                        ? CompletableFuture.completedFuture(
                            new Result(CallbackOutcome.GAVE_UP, 0, refusal.get()))
                        : post(callback, attempt))
            .thenApply(result -> withinTime(callback, attempt, result))
            .thenCompose(result -> record(callback.jobId(), attempt, result).thenApply(v -> result))
            .whenComplete(
                (result, error) -> {
                  if (error != null || result.outcome() != CallbackOutcome.WILL_RETRY) {
                    settle(callback.settled(), error);
                    return;
                  }
                  // Closing the timer cancels it; the attempt itself reports through settled.
                  ScheduledFuture<?> unusedRetry =
                      timer.schedule(
                          () -> attempt(callback, attempt + 1),
                          backoff(attempt).toMillis(),
                          TimeUnit.MILLISECONDS);
                });
  }

  private CompletableFuture<Result> post(Callback callback, int attempt) {
    long timestamp = clock.instant().getEpochSecond();
    HttpRequest request =
        HttpRequest.newBuilder(callback.url())
            .timeout(settings.requestTimeout())
            .header("Content-Type", "application/json")
            .header("User-Agent", "t2i-notifier")
            .header(WebhookSignature.DELIVERY_HEADER, callback.deliveryId())
            .header(WebhookSignature.ATTEMPT_HEADER, Integer.toString(attempt))
            .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(timestamp))
            .header(
                WebhookSignature.SIGNATURE_HEADER,
                WebhookSignature.sign(callback.secret(), timestamp, callback.body()))
            .POST(HttpRequest.BodyPublishers.ofByteArray(callback.body()))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .handle((response, error) -> classify(response, error));
  }

  private Result classify(@Nullable HttpResponse<Void> response, @Nullable Throwable error) {
    if (error != null) {
      Throwable cause =
          error instanceof CompletionException && error.getCause() != null
              ? error.getCause()
              : error;
      if (cause instanceof HttpTimeoutException) {
        return new Result(
            CallbackOutcome.WILL_RETRY, 0, "no answer within " + settings.requestTimeout());
      }
      if (cause instanceof IOException) {
        return new Result(CallbackOutcome.WILL_RETRY, 0, describe(cause));
      }
      return new Result(CallbackOutcome.GAVE_UP, 0, describe(cause));
    }
    int status = Objects.requireNonNull(response, "a response or an error").statusCode();
    if (status >= 200 && status < 300) {
      return new Result(CallbackOutcome.DELIVERED, status, "");
    }
    if (status == 408 || status == 429 || status >= 500) {
      return new Result(CallbackOutcome.WILL_RETRY, status, "the receiver answered " + status);
    }
    return new Result(
        CallbackOutcome.GAVE_UP,
        status,
        "the receiver answered "
            + status
            + (status < 400 ? " (redirects are not followed)" : "")
            + "; not retried");
  }

  /** A retry that could not start before give-up-after is the last attempt. */
  private Result withinTime(Callback callback, int attempt, Result result) {
    if (result.outcome() != CallbackOutcome.WILL_RETRY) {
      return result;
    }
    Instant next = clock.instant().plus(backoff(attempt));
    if (next.isBefore(callback.endedAt().plus(settings.giveUpAfter()))) {
      return result;
    }
    return new Result(
        CallbackOutcome.GAVE_UP,
        result.status(),
        result.error() + "; gave up after retrying for " + settings.giveUpAfter());
  }

  private CompletableFuture<Void> record(String jobId, int attempt, Result result) {
    Instant now = clock.instant();
    CallbackAttempt recorded =
        CallbackAttempt.newBuilder()
            .setDeliveryId(WebhookPayload.deliveryId(jobId))
            .setAttempt(attempt)
            .setAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
            .setOutcome(result.outcome())
            .setHttpStatus(result.status())
            .setError(result.error())
            .build();
    metrics.attempt(result.outcome());
    if (result.outcome() == CallbackOutcome.GAVE_UP) {
      LOG.warnf(
          "job %s: gave up its callback after attempt %d: %s", jobId, attempt, result.error());
    } else if (result.outcome() == CallbackOutcome.WILL_RETRY) {
      LOG.debugf(
          "job %s: callback attempt %d failed, will retry: %s", jobId, attempt, result.error());
    }
    return CompletableFuture.runAsync(
        () -> {
          if (!store.recordCallbackAttempt(jobId, recorded)) {
            LOG.debugf(
                "job %s is no longer kept; its callback attempt %d is not recorded",
                jobId, attempt);
          }
        },
        blocking);
  }

  /** The wait after {@code attempt}: doubling from first-backoff, capped, with 20% jitter. */
  Duration backoff(int attempt) {
    long first = settings.firstBackoff().toMillis();
    long cap = settings.maxBackoff().toMillis();
    long base = first << Math.min(attempt - 1, 30);
    if (base <= 0 || base > cap) {
      base = cap;
    }
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis(Math.max(1, Math.round(base * jitter)));
  }

  private Instant endedAt(JobView job) {
    return job.transitions().stream()
        .filter(t -> JobStates.isTerminal(t.getState()))
        .map(StateTransition::getAt)
        .map(at -> Instant.ofEpochSecond(at.getSeconds(), at.getNanos()))
        .findFirst()
        .orElseGet(clock::instant);
  }

  private static void settle(CompletableFuture<Void> settled, @Nullable Throwable error) {
    if (error == null) {
      settled.complete(null);
    } else {
      settled.completeExceptionally(error);
    }
  }

  private static String describe(Throwable cause) {
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    http.shutdownNow();
    blocking.shutdownNow();
  }
}
