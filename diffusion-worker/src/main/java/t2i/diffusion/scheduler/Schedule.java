package t2i.diffusion.scheduler;

/**
 * The per-request plan of a sampler: the model timestep of each step and the noise level ({@code
 * sigma = sqrt((1 - alphas_cumprod) / alphas_cumprod)}) the sampler assumes at each step, followed
 * by the level its last step lands on. The arrays are owned by the schedule and never changed.
 */
// Schedules are read step by step and never compared, so record equality on the arrays is unused.
@SuppressWarnings("ArrayRecordComponent")
record Schedule(double[] timesteps, double[] sigmas, double initNoiseSigma) {
  Schedule {
    if (sigmas.length != timesteps.length + 1) {
      throw new IllegalStateException(
          "a schedule of "
              + timesteps.length
              + " steps needs "
              + (timesteps.length + 1)
              + " sigmas");
    }
  }

  int steps() {
    return timesteps.length;
  }

  /**
   * The variance-exploding noise level {@code sigma} of a timestep with this {@code
   * alphas_cumprod}.
   */
  static double sigmaOf(double alphaCumprod) {
    return Math.sqrt((1 - alphaCumprod) / alphaCumprod);
  }
}
