package t2i.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * Tells the gRPC health service whether this replica can serve: SERVING while Redis answers, Kafka
 * was reached by the last backlog measurement and the job event listener runs, NOT_SERVING
 * otherwise, so that load balancers route around a replica cut off from either or unable to deliver
 * events. Checks every {@code interval} on its own thread; owns that thread. Thread-safe.
 */
final class DependencyHealth implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(DependencyHealth.class);

  private final BooleanSupplier redisUp;
  private final BooleanSupplier kafkaUp;
  private final BooleanSupplier eventsFlow;
  private final Consumer<Boolean> serving;
  private final Duration interval;
  private final ScheduledExecutorService scheduler;
  private @Nullable Boolean last;

  /**
   * @param serving hears the verdict after every check
   */
  DependencyHealth(
      BooleanSupplier redisUp,
      BooleanSupplier kafkaUp,
      BooleanSupplier eventsFlow,
      Consumer<Boolean> serving,
      Duration interval) {
    if (interval.toMillis() < 10) {
      throw new IllegalArgumentException("interval must be at least 10ms, was " + interval);
    }
    this.redisUp = redisUp;
    this.kafkaUp = kafkaUp;
    this.eventsFlow = eventsFlow;
    this.serving = serving;
    this.interval = interval;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("dependency-health").daemon(true).factory());
  }

  /** Checks every interval in the background, the first time at once. */
  void start() {
    // A failing probe is a verdict, not a failure of the task, and close() ends the schedule with
    // the executor: nothing waits on the future.
    ScheduledFuture<?> unused =
        scheduler.scheduleWithFixedDelay(
            this::check, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs one check; only the scheduler's thread calls it, except in tests. */
  void check() {
    boolean redis = isUp(redisUp);
    boolean kafka = isUp(kafkaUp);
    boolean events = isUp(eventsFlow);
    boolean ok = redis && kafka && events;
    if (last == null || last != ok) {
      if (ok) {
        LOG.info("Kafka and Redis answer: serving");
      } else {
        List<String> down = new ArrayList<>();
        if (!redis) {
          down.add("Redis");
        }
        if (!kafka) {
          down.add("Kafka");
        }
        if (!events) {
          down.add("the job event listener");
        }
        LOG.warnf("Not serving: %s down", String.join(" and ", down));
      }
      last = ok;
    }
    serving.accept(ok);
  }

  private static boolean isUp(BooleanSupplier probe) {
    try {
      return probe.getAsBoolean();
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
