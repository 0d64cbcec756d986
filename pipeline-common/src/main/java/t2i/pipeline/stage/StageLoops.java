package t2i.pipeline.stage;

import com.google.protobuf.Parser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;
import t2i.pipeline.kafka.DeadLetterSink;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.kafka.JobLoop;
import t2i.pipeline.kafka.KafkaClients;

/**
 * A stage's consumers: {@code consumers} copies of a {@link JobLoop} in the stage's consumer group,
 * each on its own thread. Owns the threads (and, through the loops, the consumers); {@link
 * #close()} stops them and waits for them to drain.
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

  /**
   * Starts consuming {@code topic} in group {@code t2i-<stage>}.
   *
   * @param maxInFlight records each consumer may have in flight at once
   */
  public static <T> StageLoops start(
      StageConnections connections,
      String stage,
      String topic,
      Parser<T> parser,
      JobHandler<T> handler,
      int consumers,
      int maxInFlight) {
    if (consumers < 1) {
      throw new IllegalArgumentException(stage + ": consumers must be >= 1, was " + consumers);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException(
          stage + ": max in flight must be >= 1, was " + maxInFlight);
    }
    DeadLetterSink deadLetters =
        new DeadLetterSink(
            connections.publisher(),
            connections.topics().deadLetters(),
            connections.tracker(),
            stage,
            connections.clock());
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
                      connections.endpoint(), "t2i-" + stage, name, maxPollRecords))
              .parser(parser)
              .handler(handler)
              .failureSink(deadLetters)
              .maxInFlight(maxInFlight, maxPollRecords)
              .build();
      loops.add(loop);
      threads.add(Thread.ofPlatform().name(name).daemon(false).unstarted(loop));
    }
    threads.forEach(Thread::start);
    LOG.infof("%s consuming %s with %d consumer(s)", stage, topic, consumers);
    return new StageLoops(stage, loops, threads);
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
}
