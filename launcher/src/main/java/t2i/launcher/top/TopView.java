package t2i.launcher.top;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.Predicate;

/**
 * One frame of {@code t2i top}: what changed between two readings of the services' metrics, as a
 * person watching a load test or an incident wants it: jobs per second, end-to-end latency, how
 * full the UNet batches are, and each stage's backlog and times.
 */
public final class TopView {

  private static final List<String> STAGES =
      List.of("tokenizer-service", "encoder-worker", "diffusion-worker");
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  private TopView() {}

  /**
   * Renders the frame for two readings.
   *
   * @param before the earlier reading
   * @param after the later reading
   * @param seconds the time between them
   */
  public static String render(
      MetricSamples before, MetricSamples after, double seconds, int endpoints, LocalTime now) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "t2i top  %s  (%d metrics endpoints, %.1f s between readings)%n",
            CLOCK.format(now),
            endpoints,
            seconds));
    out.append(
        String.format(
            Locale.ROOT,
            "jobs/s   submitted %6.1f   succeeded %6.1f   failed %5.1f   expired %5.1f   refused"
                + " %5.1f%n",
            rate(before, after, seconds, "t2i_gateway_jobs_submitted_total", s -> true),
            rate(before, after, seconds, "t2i_jobs_ended_total", state("SUCCEEDED")),
            rate(before, after, seconds, "t2i_jobs_ended_total", state("FAILED")),
            rate(before, after, seconds, "t2i_jobs_ended_total", state("EXPIRED")),
            rate(before, after, seconds, "t2i_gateway_jobs_refused_total", s -> true)));
    List<double[]> latency =
        Quantiles.difference(
            after.buckets("t2i_jobs_latency_seconds", state("SUCCEEDED")),
            before.buckets("t2i_jobs_latency_seconds", state("SUCCEEDED")));
    out.append(
        String.format(
            Locale.ROOT,
            "latency  p50 %s   p99 %s   (jobs that succeeded between readings)%n",
            millis(Quantiles.quantile(0.5, latency)),
            millis(Quantiles.quantile(0.99, latency))));
    double calls = delta(before, after, "t2i_diffusion_batch_occupancy_count", s -> true);
    out.append(
        String.format(
            Locale.ROOT,
            "unet     batch occupancy %s   rows/call %s   steps/s %6.1f   decode queue %3.0f%n",
            calls > 0
                ? String.format(
                    Locale.ROOT,
                    "%3.0f%%",
                    100
                        * delta(before, after, "t2i_diffusion_batch_occupancy_sum", s -> true)
                        / calls)
                : "   -",
            calls > 0
                ? String.format(
                    Locale.ROOT,
                    "%4.1f",
                    delta(before, after, "t2i_diffusion_unet_batch_rows_sum", s -> true) / calls)
                : "   -",
            rate(before, after, seconds, "t2i_diffusion_steps_total", s -> true),
            after.sum("t2i_diffusion_decode_queue")));
    out.append(
        String.format(
            Locale.ROOT,
            "%-18s %8s %10s %10s %11s %13s%n",
            "stage",
            "backlog",
            "in flight",
            "records/s",
            "queue p99",
            "handling p99"));
    for (String stage : STAGES) {
      Predicate<MetricSamples.Series> mine = s -> stage.equals(s.label("stage"));
      out.append(
          String.format(
              Locale.ROOT,
              "%-18s %8.0f %10.0f %10.1f %11s %13s%n",
              stage,
              after.sum("t2i_stage_consumer_lag_records", mine),
              after.sum("t2i_stage_in_flight", mine),
              rate(before, after, seconds, "t2i_stage_records_total", mine),
              millis(p99(before, after, "t2i_stage_queue_wait_seconds", mine)),
              millis(p99(before, after, "t2i_stage_handling_seconds", mine))));
    }
    return out.toString();
  }

  private static Predicate<MetricSamples.Series> state(String state) {
    return s -> state.equals(s.label("state"));
  }

  private static OptionalDouble p99(
      MetricSamples before,
      MetricSamples after,
      String histogram,
      Predicate<MetricSamples.Series> labels) {
    return Quantiles.quantile(
        0.99,
        Quantiles.difference(after.buckets(histogram, labels), before.buckets(histogram, labels)));
  }

  private static double delta(
      MetricSamples before,
      MetricSamples after,
      String name,
      Predicate<MetricSamples.Series> labels) {
    // A restarted service starts its counters again: never show a negative rate.
    return Math.max(0, after.sum(name, labels) - before.sum(name, labels));
  }

  private static double rate(
      MetricSamples before,
      MetricSamples after,
      double seconds,
      String name,
      Predicate<MetricSamples.Series> labels) {
    return seconds <= 0 ? 0 : delta(before, after, name, labels) / seconds;
  }

  private static String millis(OptionalDouble seconds) {
    if (seconds.isEmpty()) {
      return "-";
    }
    double ms = seconds.getAsDouble() * 1000;
    return ms >= 10_000
        ? String.format(Locale.ROOT, "%.1f s", ms / 1000)
        : String.format(Locale.ROOT, "%.0f ms", ms);
  }
}
