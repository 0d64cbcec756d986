package t2i.launcher.top;

import java.util.List;
import java.util.OptionalDouble;

/**
 * Quantiles from cumulative histogram buckets, as Prometheus' {@code histogram_quantile} computes
 * them: linear within the bucket that holds the rank; the lowest bucket starts at 0; a rank in the
 * +Inf bucket answers the highest finite bound.
 */
final class Quantiles {

  private Quantiles() {}

  /**
   * The buckets' counts at the end minus those at the start: the observations in between. Buckets
   * are matched by position; both lists come from the same histogram.
   */
  static List<double[]> difference(List<double[]> end, List<double[]> start) {
    if (start.size() != end.size()) {
      return end;
    }
    return java.util.stream.IntStream.range(0, end.size())
        .mapToObj(i -> new double[] {end.get(i)[0], end.get(i)[1] - start.get(i)[1]})
        .toList();
  }

  /** The q-quantile (0..1) of the buckets; empty when they hold no observation. */
  static OptionalDouble quantile(double q, List<double[]> buckets) {
    if (buckets.isEmpty()) {
      return OptionalDouble.empty();
    }
    double total = buckets.getLast()[1];
    if (total <= 0) {
      return OptionalDouble.empty();
    }
    double rank = q * total;
    double lowerBound = 0;
    double lowerCount = 0;
    for (double[] bucket : buckets) {
      double bound = bucket[0];
      double count = bucket[1];
      if (count >= rank) {
        if (Double.isInfinite(bound)) {
          return OptionalDouble.of(lowerBound);
        }
        double inBucket = count - lowerCount;
        double fraction = inBucket <= 0 ? 1 : (rank - lowerCount) / inBucket;
        return OptionalDouble.of(lowerBound + (bound - lowerBound) * fraction);
      }
      lowerBound = bound;
      lowerCount = count;
    }
    return OptionalDouble.of(lowerBound);
  }
}
