package t2i.launcher.bench;

import com.google.protobuf.Timestamp;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.StateTransition;

/**
 * What the measured jobs saw: end-to-end latency (from when each job was due to be sent, so that a
 * slow server cannot hide its latency by slowing the sender), time to acceptance, each hop's time
 * from the job's own state transitions, and failures by status. Thread-safe: gRPC callback threads
 * record here.
 */
final class LoadResult {

  private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(30);

  /** The hops between a job's states, in pipeline order. */
  private static final List<JobState> STATES =
      List.of(
          JobState.QUEUED,
          JobState.TOKENIZING,
          JobState.ENCODING,
          JobState.DENOISING,
          JobState.SUCCEEDED);

  private final Histogram latency = histogram();
  private final Histogram accepted = histogram();

  /**
   * Each hop between two states a job passed one after the other, in pipeline order. A job queued
   * tokenized by the gateway ({@code t2i.gateway.publish-tokenized}) has no TOKENIZING, so its
   * first hop is queued->encoding.
   */
  private final Map<Hop, Histogram> hops =
      new TreeMap<>(
          Comparator.comparingInt((Hop hop) -> STATES.indexOf(hop.from()))
              .thenComparingInt(hop -> STATES.indexOf(hop.to())));

  /** A job's move from one state to the next it reached. */
  private record Hop(JobState from, JobState to) {
    String name() {
      return from.name().toLowerCase(Locale.ROOT) + "->" + to.name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<String, Long> errors = new TreeMap<>();
  private long sent;
  private long succeeded;

  synchronized void sent() {
    sent++;
  }

  synchronized void accepted(long micros) {
    accepted.recordValue(clamp(micros));
  }

  synchronized void succeeded(long micros, Job job) {
    succeeded++;
    latency.recordValue(clamp(micros));
    Map<JobState, Timestamp> at = new TreeMap<>();
    for (StateTransition t : job.getTransitionsList()) {
      at.putIfAbsent(t.getState(), t.getAt());
    }
    @Nullable JobState from = null;
    @Nullable Timestamp left = null;
    for (JobState to : STATES) {
      Timestamp reached = at.get(to);
      if (reached == null) {
        continue;
      }
      if (from != null && left != null) {
        hops.computeIfAbsent(new Hop(from, to), hop -> histogram())
            .recordValue(clamp(micros(reached) - micros(left)));
      }
      from = to;
      left = reached;
    }
  }

  synchronized void failed(String status) {
    errors.merge(status, 1L, Long::sum);
  }

  synchronized long succeededCount() {
    return succeeded;
  }

  synchronized long sentCount() {
    return sent;
  }

  synchronized long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  private static long micros(Timestamp t) {
    return t.getSeconds() * 1_000_000 + t.getNanos() / 1_000;
  }

  /** A latency histogram in microseconds, as every row of the report has. */
  static Histogram histogram() {
    return new Histogram(MAX_MICROS, 3);
  }

  /** A latency in microseconds within what {@link #histogram()} records. */
  static long clamp(long micros) {
    return Math.max(0, Math.min(micros, MAX_MICROS));
  }

  /** The report: counts, latency quantiles, per-hop p50/p99, errors. */
  synchronized String render(double seconds) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "jobs: %d sent, %d succeeded (%.1f/s), %d failed%n",
            sent,
            succeeded,
            succeeded / seconds,
            errorCount()));
    out.append(row("end to end", latency));
    out.append(row("accepted", accepted));
    if (hops.isEmpty()) {
      for (int i = 1; i < STATES.size(); i++) {
        out.append(row("  " + new Hop(STATES.get(i - 1), STATES.get(i)).name(), histogram()));
      }
    }
    hops.forEach((hop, times) -> out.append(row("  " + hop.name(), times)));
    errors.forEach(
        (status, count) ->
            out.append(String.format(Locale.ROOT, "errors %-24s %d%n", status, count)));
    return out.toString();
  }

  static String row(String name, Histogram h) {
    if (h.getTotalCount() == 0) {
      return String.format(Locale.ROOT, "%-26s (none)%n", name);
    }
    return String.format(
        Locale.ROOT,
        "%-26s p50 %8s  p90 %8s  p99 %8s  max %8s%n",
        name,
        ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(90)),
        ms(h.getValueAtPercentile(99)),
        ms(h.getMaxValue()));
  }

  private static String ms(long micros) {
    return micros >= 10_000_000
        ? String.format(Locale.ROOT, "%.1f s", micros / 1e6)
        : String.format(Locale.ROOT, "%.1f ms", micros / 1e3);
  }
}
