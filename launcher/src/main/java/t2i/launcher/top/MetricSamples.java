package t2i.launcher.top;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The samples of one or more Prometheus text pages (the services' {@code /q/metrics}), summed over
 * the pages: the same series from two instances of a stage adds up, as a cluster-wide query would.
 * Immutable.
 */
public final class MetricSamples {

  /** One series: its name and labels. */
  public record Series(String name, Map<String, String> labels) {
    public Series {
      labels = Collections.unmodifiableMap(new TreeMap<>(labels));
    }

    String label(String key) {
      return labels.getOrDefault(key, "");
    }
  }

  private final Map<Series, Double> values;

  private MetricSamples(Map<Series, Double> values) {
    this.values = values;
  }

  /** Parses and sums pages in the Prometheus text format; lines it cannot read are skipped. */
  public static MetricSamples parse(List<String> pages) {
    Map<Series, Double> values = new java.util.HashMap<>();
    for (String page : pages) {
      for (String line : page.lines().toList()) {
        parseLine(line, values);
      }
    }
    return new MetricSamples(values);
  }

  private static void parseLine(String line, Map<Series, Double> into) {
    if (line.isBlank() || line.startsWith("#")) {
      return;
    }
    int at = 0;
    while (at < line.length() && line.charAt(at) != '{' && line.charAt(at) != ' ') {
      at++;
    }
    String name = line.substring(0, at);
    Map<String, String> labels = new TreeMap<>();
    if (at < line.length() && line.charAt(at) == '{') {
      at = parseLabels(line, at + 1, labels);
      if (at < 0) {
        return;
      }
    }
    String rest = line.substring(at).strip();
    int end = rest.indexOf(' ');
    String number = end < 0 ? rest : rest.substring(0, end);
    double value;
    try {
      value = Double.parseDouble(number);
    } catch (NumberFormatException e) {
      return;
    }
    into.merge(new Series(name, labels), value, Double::sum);
  }

  /** Reads {@code k="v",...}} from {@code from}; returns the index after the brace, or -1. */
  private static int parseLabels(String line, int from, Map<String, String> labels) {
    int at = from;
    while (at < line.length() && line.charAt(at) != '}') {
      int equals = line.indexOf('=', at);
      if (equals < 0 || equals + 1 >= line.length() || line.charAt(equals + 1) != '"') {
        return -1;
      }
      String key = line.substring(at, equals).strip();
      StringBuilder value = new StringBuilder();
      int i = equals + 2;
      for (; i < line.length() && line.charAt(i) != '"'; i++) {
        char c = line.charAt(i);
        if (c == '\\' && i + 1 < line.length()) {
          char escaped = line.charAt(++i);
          value.append(escaped == 'n' ? '\n' : escaped);
        } else {
          value.append(c);
        }
      }
      labels.put(key, value.toString());
      at = i + 1;
      if (at < line.length() && line.charAt(at) == ',') {
        at++;
      }
    }
    return at < line.length() ? at + 1 : -1;
  }

  /** The sum of a metric's series that match {@code labels}. */
  public double sum(String name, Predicate<Series> labels) {
    double total = 0;
    for (Map.Entry<Series, Double> e : values.entrySet()) {
      if (e.getKey().name().equals(name) && labels.test(e.getKey())) {
        total += e.getValue();
      }
    }
    return total;
  }

  public double sum(String name) {
    return sum(name, s -> true);
  }

  /** A metric summed per value of one label, in label order. */
  public Map<String, Double> sumBy(String name, String label) {
    Map<String, Double> sums = new TreeMap<>();
    values.forEach(
        (series, value) -> {
          if (series.name().equals(name)) {
            sums.merge(series.label(label), value, Double::sum);
          }
        });
    return sums;
  }

  /**
   * The cumulative bucket counts of a histogram ({@code NAME_bucket}) matching {@code labels}, as
   * (upper bound, count) pairs in bound order, +Inf last.
   */
  public List<double[]> buckets(String histogram, Predicate<Series> labels) {
    Map<Double, Double> byBound = new TreeMap<>();
    values.forEach(
        (series, value) -> {
          if (series.name().equals(histogram + "_bucket") && labels.test(series)) {
            String le = series.label("le");
            double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
            byBound.merge(bound, value, Double::sum);
          }
        });
    List<double[]> buckets = new ArrayList<>();
    byBound.forEach((bound, count) -> buckets.add(new double[] {bound, count}));
    return buckets;
  }
}
