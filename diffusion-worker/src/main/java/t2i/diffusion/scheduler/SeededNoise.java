package t2i.diffusion.scheduler;

/**
 * Standard normal noise that a {@code long} seed fully determines: the same seed yields the same
 * values, in the same order, on every JVM and platform. Not thread-safe; its state advances with
 * every value drawn.
 *
 * <p>Uniform bits come from SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", 2014), written out here rather than taken from {@link java.util.SplittableRandom} so
 * that the sequence cannot change with the JDK. Normal values come from Marsaglia's polar method,
 * using only arithmetic, {@link Math#sqrt} (exactly rounded) and {@link StrictMath#log}
 * (bit-for-bit reproducible), for the same reason.
 */
public final class SeededNoise implements NoiseSource {
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
  private static final double DOUBLE_UNIT = 0x1.0p-53;

  private long state;
  private double spare;
  private boolean hasSpare;

  /** A source whose values are determined by {@code seed}. */
  public SeededNoise(long seed) {
    this.state = seed;
  }

  /**
   * One of several independent sources derived from one seed, so that an image's seed can drive
   * both its initial latents (say stream 0) and the noise its sampler adds between steps (stream 1)
   * without the two repeating each other, or the streams of neighbouring seeds.
   */
  public static SeededNoise forStream(long seed, long stream) {
    return new SeededNoise(mix(seed + mix(stream + GOLDEN_GAMMA)));
  }

  @Override
  public void fillGaussian(float[] out) {
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) nextGaussian();
    }
  }

  /** The next standard normal value. */
  public double nextGaussian() {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    double u;
    double v;
    double s;
    do {
      u = 2 * nextDouble() - 1;
      v = 2 * nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double factor = Math.sqrt(-2 * StrictMath.log(s) / s);
    spare = v * factor;
    hasSpare = true;
    return u * factor;
  }

  /** A uniform value in [0, 1) with 53 random bits. */
  private double nextDouble() {
    return (nextLong() >>> 11) * DOUBLE_UNIT;
  }

  private long nextLong() {
    return mix(state += GOLDEN_GAMMA);
  }

  /** SplitMix64's finaliser: a bijection that scatters neighbouring inputs. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
