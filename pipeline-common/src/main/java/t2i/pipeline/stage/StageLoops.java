package t2i.pipeline.stage;

import com.google.protobuf.Parser;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.QueuePlace;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaClients.PartitionOrder;
import t2i.pipeline.telemetry.JobTraces;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/**
 * A stage's consumers: {@code consumers} copies of a {@link JobLoop} in the stage's consumer group,
 * each on its own thread, every record checked by the {@link JobGate} before the stage's handler
 * sees it. Owns the threads (and, through the loops, the consumers); {@link #close()} stops them
 * and waits for them to drain.
 */
public final class StageLoops implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(StageLoops.class);
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(30);

  private final String stage;
  private final List<JobLoop<?>> loops;
  private final List<Thread> threads;

  private StageLoops(String stage, List<JobLoop<?>> loops, List<Thread> threads) {
    this.stage = stage;
    this.loops = loops;
    this.threads = threads;
  }

  /** Starts describing a stage that reads {@code topic}. */
  public static <T> Builder<T> builder(
      StageConnections connections,
      String stage,
      String topic,
      Parser<T> parser,
      Function<T, JobSpec> specOf) {
    return new Builder<>(connections, stage, topic, parser, specOf);
  }

  /**
   * Starts describing a consumer that observes jobs instead of working on them (the notifier, on
   * the events topic): its records pass no gate and have no deadline, and one it cannot handle is
   * parked in the dead letters without ending its job.
   */
  public static <T> Builder<T> observer(
      StageConnections connections, String stage, String topic, Parser<T> parser) {
    return new Builder<>(connections, stage, topic, parser, null);
  }

  /** Whether every consumer thread is running (liveness). */
  public boolean isAlive() {
    return loops.stream().allMatch(JobLoop::isRunning);
  }

  /** Whether some consumer waits for Kafka or Redis to answer (readiness). */
  public boolean isWaitingForInfrastructure() {
    return loops.stream().anyMatch(JobLoop::isWaitingForInfrastructure);
  }

  /** The instance id of this process's consumers: configured, or {@code HOSTNAME-PID}. */
  static String instanceId(KafkaSettings kafka) {
    return kafka.groupInstanceId().orElseGet(StageLoops::hostAndPid);
  }

  private static String hostAndPid() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        host = "localhost";
      }
    }
    return host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
  }

  @Override
  public void close() {
    loops.forEach(JobLoop::close);
    for (Thread thread : threads) {
      try {
        if (!thread.join(JOIN_TIMEOUT)) {
          LOG.warnf("%s: consumer thread %s did not stop in time", stage, thread.getName());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** What a stage does with its records, and how many it works on at once. */
  public static final class Builder<T> {
    private final StageConnections connections;
    private final String stage;
    private final String topic;
    private final Parser<T> parser;
    // Null for an observer.
    private final @Nullable Function<T, JobSpec> specOf;
    private @Nullable JobState state;
    private boolean handsOff;
    private boolean recordsOnEntry;
    private Predicate<T> redo = value -> false;
    private @Nullable JobHandler<T> handler;
    private int consumers = 1;
    private int maxInFlight = 16;
    private Consumer<Throwable> onFatal;

    private Builder(
        StageConnections connections,
        String stage,
        String topic,
        Parser<T> parser,
        @Nullable Function<T, JobSpec> specOf) {
      this.connections = connections;
      this.stage = stage;
      this.topic = topic;
      this.parser = parser;
      this.specOf = specOf;
      this.onFatal = e -> ProcessExit.fatal(stage, e);
    }

    /**
     * The state the stage puts a job in; with {@code handsOff}, the stage passes the job on to a
     * next stage, and a job it has passed on is not worked on again.
     */
    public Builder<T> state(JobState state, boolean handsOff) {
      this.state = state;
      this.handsOff = handsOff;
      return this;
    }

    /**
     * The gate moves each job it lets in to the stage's state, in the same Redis round trip as its
     * check, so that the handler need not: for stages whose state begins the moment they take a job
     * (tokenizing, encoding), not when a batch later starts it.
     */
    public Builder<T> recordsStateOnEntry() {
      this.recordsOnEntry = true;
      return this;
    }

    /** Which records ask for the stage's work again although a later stage has the job. */
    public Builder<T> redo(Predicate<T> redo) {
      this.redo = redo;
      return this;
    }

    public Builder<T> handler(JobHandler<T> handler) {
      this.handler = handler;
      return this;
    }

    /**
     * How many records the stage works on at once.
     *
     * @param consumers Kafka consumers (threads) in this process
     * @param maxInFlight records each consumer may have in flight at once
     */
    public Builder<T> concurrency(int consumers, int maxInFlight) {
      this.consumers = consumers;
      this.maxInFlight = maxInFlight;
      return this;
    }

    /** Hears a fatal failure of a consumer loop; by default the process exits. */
    public Builder<T> onFatal(Consumer<Throwable> onFatal) {
      this.onFatal = onFatal;
      return this;
    }

    /** Starts consuming {@code topic} in the stage's consumer group. */
    public StageLoops start() {
      JobHandler<T> handler = Objects.requireNonNull(this.handler, "handler");
      if (consumers < 1) {
        throw new IllegalArgumentException(stage + ": consumers must be >= 1, was " + consumers);
      }
      if (maxInFlight < 1) {
        throw new IllegalArgumentException(
            stage + ": max in flight must be >= 1, was " + maxInFlight);
      }
      StageMetrics metrics = StageMetrics.create(connections.telemetry().meters(), stage);
      Function<T, JobSpec> specOf = this.specOf;
      FailureSink<T> outcomes;
      JobHandler<T> work;
      ToLongFunction<T> deadline;
      if (specOf == null) {
        outcomes =
            StageOutcomes.observing(
                connections.publisher(),
                connections.topics().deadLetters(),
                connections.tracker(),
                stage,
                connections.clock());
        work = handler;
        deadline = value -> 0;
      } else {
        JobState state = Objects.requireNonNull(this.state, "state");
        outcomes =
            new StageOutcomes<>(
                connections.publisher(),
                connections.topics().deadLetters(),
                connections.tracker(),
                stage,
                specOf,
                connections.clock());
        work =
            new GatedHandler<>(
                handler,
                new JobGate(connections.tracker(), connections.clock(), metrics),
                connections.store(),
                stage,
                state,
                handsOff,
                recordsOnEntry,
                specOf,
                redo);
        deadline = value -> specOf.apply(value).getDeadlineUnixMs();
      }
      // An observer reads every event of every job: a span for each would bury the jobs' traces.
      JobTraces traces = specOf == null ? JobTraces.none() : connections.traces();
      KafkaSettings kafka = connections.kafkaSettings();
      String instance = instanceId(kafka);
      // Polling for half the bound keeps new work arriving while earlier records are in flight.
      int maxPollRecords = Math.max(1, maxInFlight / 2);
      List<JobLoop<?>> loops = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < consumers; i++) {
        String name = stage + "-" + i;
        JobLoop<T> loop =
            JobLoop.<T>builder()
                .name(name)
                .topic(topic)
                .consumer(
                    KafkaClients.groupConsumer(
                        connections.endpoint(),
                        Stages.consumerGroup(stage),
                        name,
                        Optional.of(instance + "-" + i),
                        kafka.sessionTimeout(),
                        maxPollRecords,
                        // A stage takes jobs up in queue order; an observer reads events.
                        specOf == null ? PartitionOrder.AS_FETCHED : PartitionOrder.IN_TURN))
                .parser(parser)
                .handler(work)
                .failureSink(outcomes)
                .deadline(deadline)
                .maxInFlight(maxInFlight, maxPollRecords)
                .commitInterval(kafka.commitInterval())
                .clocks(System::nanoTime, connections.clock())
                .onFatal(onFatal)
                .telemetry(metrics, traces)
                .build();
        loops.add(loop);
        threads.add(Thread.ofPlatform().name(name).daemon(false).unstarted(loop));
      }
      threads.forEach(Thread::start);
      LOG.infof("%s consuming %s with %d consumer(s) as %s-*", stage, topic, consumers, instance);
      return new StageLoops(stage, loops, threads);
    }
  }

  /**
   * Checks each record with the gate (which, for a stage that records its state on entry, also
   * moves the job to that state), then lets the stage's handler work on it.
   */
  private record GatedHandler<T>(
      JobHandler<T> handler,
      JobGate gate,
      JobStore store,
      String stage,
      JobState state,
      boolean handsOff,
      boolean recordsOnEntry,
      Function<T, JobSpec> specOf,
      Predicate<T> redo)
      implements JobHandler<T> {

    @Override
    public CompletionStage<?> handle(Delivery<T> delivery) throws Exception {
      JobSpec spec = specOf.apply(delivery.value());
      boolean redoing = redo.test(delivery.value());
      Optional<CompletableFuture<?>> skip =
          recordsOnEntry
              ? gate.enter(spec, stage, state, redoing)
              : gate.skipReason(spec, stage, state, redoing);
      if (skip.isPresent()) {
        return skip.get();
      }
      CompletionStage<?> work = handler.handle(delivery);
      if (!handsOff) {
        return work;
      }
      return work.thenAccept(output -> markHandedOff(spec.getJobId(), output));
    }

    /**
     * Best effort: without the mark, a redelivery sends a second output, which stages skip. When
     * the work's result is the hand-off record's metadata, the job's record notes where it waits.
     */
    private void markHandedOff(String jobId, @Nullable Object output) {
      Optional<QueuePlace> place =
          output instanceof RecordMetadata sent && sent.hasOffset()
              ? Optional.of(new QueuePlace(sent.topic(), sent.partition(), sent.offset(), state))
              : Optional.empty();
      try {
        store.markHandedOff(jobId, state, place);
      } catch (RuntimeException e) {
        LOG.debugf(e, "%s could not note that job %s was handed on", stage, jobId);
      }
    }

    @Override
    public void revoked(Delivery<T> delivery) {
      handler.revoked(delivery);
    }
  }
}
