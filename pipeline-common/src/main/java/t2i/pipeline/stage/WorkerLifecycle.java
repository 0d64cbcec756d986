package t2i.pipeline.stage;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.RedisSettings;
import t2i.pipeline.telemetry.Telemetry;

/**
 * The one life of a worker process (tokenizer, encoder, diffusion): SIGTERM leads to an orderly
 * exit from the start; the worker's models are loaded; Kafka and Redis are connected; the worker
 * assembles its handler and the parts it needs from the connections, and its consumer loops start.
 * On close, or when the start fails half-way, everything is closed in the reverse order of its
 * dependencies: the loops first, so they drain, then the worker's parts, then the connections, then
 * the models. Owns all of them. Before its start it is neither live nor ready, and closing it
 * closes nothing. Thread-safe.
 */
public final class WorkerLifecycle implements AutoCloseable {

  /** Loads a worker's models; returns what closes them. */
  @FunctionalInterface
  public interface ModelLoader {
    AutoCloseable load() throws Exception;
  }

  /** Builds a worker's loops from its connections; registers what it opens with {@code parts}. */
  @FunctionalInterface
  public interface Assembly {
    StageLoops start(StageConnections connections, Parts parts) throws Exception;
  }

  /** What a worker opens while it assembles, and what else its liveness depends on. */
  public static final class Parts {
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final List<BooleanSupplier> liveChecks = new ArrayList<>();

    private Parts() {}

    /** Closes {@code part} after the loops, in the order the parts were added. */
    public <C extends AutoCloseable> C own(C part) {
      owned.add(part);
      return part;
    }

    /** The worker is live only while {@code check} holds too (an engine's threads, say). */
    public void liveWhile(BooleanSupplier check) {
      liveChecks.add(check);
    }
  }

  /** What a started worker owns. */
  private record Running(
      AutoCloseable models, StageConnections connections, Parts parts, StageLoops loops) {}

  private volatile @Nullable Running running;

  /**
   * Starts the worker; call once.
   *
   * @param stage the stage's name, as in logs and consumer groups
   * @param telemetry where the worker's meters and spans go
   * @param orderlyExit what SIGTERM does (Quarkus' exit, so shutdown observers run)
   * @throws Exception whatever loading, connecting or the assembly threw, after closing all of it
   */
  public void start(
      String stage,
      KafkaSettings kafka,
      RedisSettings redis,
      Telemetry telemetry,
      Runnable orderlyExit,
      ModelLoader models,
      Assembly assembly)
      throws Exception {
    TerminationSignal.onTerm(stage, orderlyExit);
    AutoCloseable loaded = models.load();
    StageConnections connections = null;
    Parts parts = new Parts();
    try {
      connections = StageConnections.open(stage, kafka, redis, InstantSource.system(), telemetry);
      StageLoops loops = assembly.start(connections, parts);
      running = new Running(loaded, connections, parts, loops);
    } catch (Exception | Error e) {
      closeInOrder(null, parts, connections, loaded);
      throw e;
    }
  }

  /** Whether the consumer loops, and whatever else the worker named, run (liveness). */
  public boolean isLive() {
    Running now = running;
    return now != null
        && now.loops().isAlive()
        && now.parts().liveChecks.stream().allMatch(BooleanSupplier::getAsBoolean);
  }

  /** Whether the worker takes new jobs: live, and Kafka and Redis answer (readiness). */
  public boolean isReady() {
    Running now = running;
    return isLive() && now != null && !now.loops().isWaitingForInfrastructure();
  }

  /**
   * {@link #isLive()} as the health check {@code <service>-loops}: a worker whose loop died is not
   * live, so that its supervisor restarts it.
   */
  public HealthCheck liveness(String service) {
    return () -> HealthCheckResponse.named(service + "-loops").status(isLive()).build();
  }

  /** {@link #isReady()} as the health check {@code <service>-dependencies}. */
  public HealthCheck readiness(String service) {
    return () -> HealthCheckResponse.named(service + "-dependencies").status(isReady()).build();
  }

  @Override
  public void close() {
    Running now = running;
    if (now != null) {
      closeInOrder(now.loops(), now.parts(), now.connections(), now.models());
    }
  }

  private static void closeInOrder(
      @Nullable StageLoops loops,
      Parts parts,
      @Nullable StageConnections connections,
      AutoCloseable models) {
    List<AutoCloseable> order = new ArrayList<>();
    order.add(loops);
    order.addAll(parts.owned);
    order.add(connections);
    order.add(models);
    Closeables.closeInOrder(order.toArray(AutoCloseable[]::new));
  }
}
