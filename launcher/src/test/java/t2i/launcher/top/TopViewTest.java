package t2i.launcher.top;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopViewTest {

  private static final String BEFORE =
      """
      # HELP t2i_jobs_ended_total Jobs that reached a final state, by that state
      # TYPE t2i_jobs_ended_total counter
      t2i_jobs_ended_total{state="SUCCEEDED"} 10.0
      t2i_jobs_latency_seconds_bucket{state="SUCCEEDED",le="0.1"} 0.0
      t2i_jobs_latency_seconds_bucket{state="SUCCEEDED",le="0.2"} 10.0
      t2i_jobs_latency_seconds_bucket{state="SUCCEEDED",le="+Inf"} 10.0
      t2i_stage_consumer_lag_records{partition="0",stage="encoder-worker",topic="t2i.tokenized"} 1.0
      t2i_diffusion_batch_occupancy_sum{device="cpu",engine="OnnxRuntime"} 1.0
      t2i_diffusion_batch_occupancy_count{device="cpu",engine="OnnxRuntime"} 2.0
      """;

  private static final String AFTER =
      """
      t2i_jobs_ended_total{state="SUCCEEDED"} 30.0 # {trace_id="abc"} 1.0
      t2i_jobs_latency_seconds_bucket{state="SUCCEEDED",le="0.1"} 0.0
      t2i_jobs_latency_seconds_bucket{state="SUCCEEDED",le="0.2"} 20.0
      t2i_jobs_latency_seconds_bucket{state="SUCCEEDED",le="+Inf"} 30.0
      t2i_stage_consumer_lag_records{partition="0",stage="encoder-worker",topic="t2i.tokenized"} 3.0
      t2i_stage_consumer_lag_records{partition="1",stage="encoder-worker",topic="t2i.tokenized"} 4.0
      t2i_diffusion_batch_occupancy_sum{device="cpu",engine="OnnxRuntime"} 2.0
      t2i_diffusion_batch_occupancy_count{device="cpu",engine="OnnxRuntime"} 4.0
      """;

  @Test
  void samples_ofSeveralPages_addUp_andExemplarsAreIgnored() {
    MetricSamples samples = MetricSamples.parse(List.of(AFTER, AFTER));

    assertThat(samples.sum("t2i_jobs_ended_total")).isEqualTo(60.0);
    assertThat(samples.sumBy("t2i_stage_consumer_lag_records", "partition"))
        .containsEntry("0", 6.0)
        .containsEntry("1", 8.0);
  }

  @Test
  void quantiles_interpolateWithinTheBucketThatHoldsTheRank() {
    List<double[]> buckets =
        List.of(new double[] {0.1, 0}, new double[] {0.2, 10}, new double[] {0.5, 20});

    assertThat(Quantiles.quantile(0.5, buckets)).hasValue(0.2);
    assertThat(Quantiles.quantile(0.25, buckets).getAsDouble()).isCloseTo(0.15, within());
    assertThat(Quantiles.quantile(0.99, List.of(new double[] {Double.POSITIVE_INFINITY, 0})))
        .isEmpty();
  }

  @Test
  void frame_showsRatesAndLatencyOfWhatHappenedBetweenTheReadings() {
    String frame =
        TopView.render(
            MetricSamples.parse(List.of(BEFORE)),
            MetricSamples.parse(List.of(AFTER)),
            2.0,
            4,
            LocalTime.NOON);

    assertThat(frame)
        .contains("succeeded   10.0")
        // 20 jobs between the readings: 10 under 0.2 s, 10 in the +Inf bucket.
        .contains("p50 200 ms")
        .contains("batch occupancy  50%")
        .containsPattern("encoder-worker\\s+7\\s");
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-9);
  }
}
