package t2i.diffusion.scheduler;

/**
 * A source of standard normal noise (mean 0, variance 1, independent values). Implementations are
 * not expected to be thread-safe: each image owns its own sources.
 */
public interface NoiseSource {
  /** Overwrites every element of {@code out} with the next standard normal values. */
  void fillGaussian(float[] out);
}
