package t2i.launcher.bench;

import java.time.Duration;
import t2i.v1.GenerateRequest;

/**
 * What load to offer.
 *
 * @param rate jobs per second, sent on a fixed schedule whatever the answers (open loop); 0 when
 *     {@code concurrency} is used instead
 * @param concurrency jobs kept in flight by as many callers, each sending its next job when its
 *     last one ends (closed loop); 0 when {@code rate} is used
 * @param warmup load offered before measuring, to warm the JVMs up
 * @param duration how long to measure
 * @param request the job every call asks for (its prompt is varied unless {@code repeatPrompt})
 * @param repeatPrompt whether every job has the same prompt (embeddings come from the cache)
 * @param timeout each call's deadline
 */
public record LoadSpec(
    double rate,
    int concurrency,
    Duration warmup,
    Duration duration,
    GenerateRequest request,
    boolean repeatPrompt,
    Duration timeout) {

  public LoadSpec {
    if ((rate > 0) == (concurrency > 0)) {
      throw new IllegalArgumentException("give either --rate or --concurrency, and it positive");
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("--duration must be positive");
    }
  }

  /** The request of the {@code n}th job. */
  GenerateRequest requestFor(long n) {
    if (repeatPrompt) {
      return request;
    }
    return request.toBuilder().setPrompt(request.getPrompt() + ", variation " + n).build();
  }

  public String describe() {
    return (rate > 0 ? rate + " jobs/s (open loop)" : concurrency + " in flight (closed loop)")
        + ", "
        + duration.toSeconds()
        + " s after "
        + warmup.toSeconds()
        + " s of warm-up";
  }
}
