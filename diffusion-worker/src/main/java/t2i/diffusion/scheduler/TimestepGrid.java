package t2i.diffusion.scheduler;

/**
 * The numpy computations diffusers uses to space timesteps and noise levels, reproduced in double
 * precision operation by operation so that rounded timesteps come out as the same integers.
 */
final class TimestepGrid {
  private TimestepGrid() {}

  /**
   * {@code np.linspace(start, stop, num)}: {@code start + i * step}, with the last value exactly
   * {@code stop}; a single value is {@code start}.
   */
  static double[] linspace(double start, double stop, int num) {
    double[] values = new double[num];
    if (num == 1) {
      values[0] = start;
      return values;
    }
    double step = (stop - start) / (num - 1);
    for (int i = 0; i < num; i++) {
      values[i] = i * step + start;
    }
    values[num - 1] = stop;
    return values;
  }

  /**
   * {@code np.linspace(start, stop, num, endpoint=False)}: {@code start + i * (stop - start) /
   * num}.
   */
  static double[] linspaceExclusive(double start, double stop, int num) {
    double[] values = new double[num];
    double step = (stop - start) / num;
    for (int i = 0; i < num; i++) {
      values[i] = i * step + start;
    }
    return values;
  }

  /**
   * The first {@code count} values of {@code np.arange(start, 0, -step)}: numpy fills {@code start
   * + i * delta} with {@code delta = (start - step) - start}. numpy itself sizes the array as
   * {@code ceil(start / step)} in floating point, which for some step counts yields one value too
   * many (at or just below 0); callers pass the exact count instead.
   */
  static double[] descendingArange(double start, double step, int count) {
    double[] values = new double[count];
    double delta = (start - step) - start;
    for (int i = 0; i < count; i++) {
      values[i] = start + i * delta;
    }
    return values;
  }

  /**
   * The timesteps of DDIM, Euler and Euler ancestral, in descending order. Linspace values are
   * rounded only when {@code roundLinspace} is set: DDIM rounds them to integers, the Euler
   * samplers keep them fractional (in float32).
   */
  static double[] spaced(
      TimestepSpacing spacing,
      int numTrainTimesteps,
      int steps,
      int stepsOffset,
      boolean roundLinspace) {
    double[] timesteps = new double[steps];
    switch (spacing) {
      case LINSPACE -> {
        double[] grid = linspace(0, numTrainTimesteps - 1, steps);
        for (int i = 0; i < steps; i++) {
          double t = grid[steps - 1 - i];
          timesteps[i] = roundLinspace ? Math.rint(t) : (float) t;
        }
      }
      case LEADING -> {
        int stride = numTrainTimesteps / steps;
        for (int i = 0; i < steps; i++) {
          timesteps[i] = (double) (steps - 1 - i) * stride + stepsOffset;
        }
      }
      case TRAILING -> {
        double[] grid =
            descendingArange(numTrainTimesteps, (double) numTrainTimesteps / steps, steps);
        for (int i = 0; i < steps; i++) {
          timesteps[i] = Math.rint(grid[i]) - 1;
        }
      }
    }
    return timesteps;
  }

  /**
   * {@code np.interp(x, arange(len(values)), values)}: linear interpolation between neighbouring
   * integer positions, clamped to the end values outside them.
   */
  static double interpolate(float[] values, double x) {
    int last = values.length - 1;
    if (!(x > 0)) {
      return values[0];
    }
    if (x >= last) {
      return values[last];
    }
    int j = (int) Math.floor(x);
    if (j == x) {
      return values[j];
    }
    double slope = (double) values[j + 1] - values[j];
    return slope * (x - j) + values[j];
  }

  /**
   * The Karras et al. (2022) noise levels: {@code steps} values from {@code sigmaMax} down to
   * {@code sigmaMin}, evenly spaced in {@code sigma^(1/7)}.
   */
  static double[] karras(double sigmaMin, double sigmaMax, int steps) {
    final double rho = 7.0;
    double[] ramp = linspace(0, 1, steps);
    double minInvRho = StrictMath.pow(sigmaMin, 1 / rho);
    double maxInvRho = StrictMath.pow(sigmaMax, 1 / rho);
    double[] sigmas = new double[steps];
    for (int i = 0; i < steps; i++) {
      sigmas[i] = StrictMath.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
    }
    return sigmas;
  }

  /**
   * The fractional training timestep of noise level {@code sigma}, interpolating linearly in {@code
   * ln(sigma)} between the two training timesteps around it (diffusers' {@code _sigma_to_t});
   * {@code logSigmas} ascend with the timestep. The logarithms are taken in double precision, so
   * that a training noise level maps exactly onto its own timestep (diffusers' float32 logarithms
   * can put the largest one a hair below the last timestep).
   */
  static double sigmaToTimestep(double sigma, double[] logSigmas) {
    double logSigma = StrictMath.log(Math.max(sigma, 1e-10));
    // The last timestep whose log-sigma is at or below logSigma, else 0, kept below the last pair.
    int low = 0;
    for (int i = 0; i < logSigmas.length; i++) {
      if (logSigma - logSigmas[i] >= 0) {
        low = i;
      }
    }
    low = Math.min(low, logSigmas.length - 2);
    double lowLog = logSigmas[low];
    double highLog = logSigmas[low + 1];
    double w = Math.clamp((lowLog - logSigma) / (lowLog - highLog), 0.0, 1.0);
    return (1 - w) * low + w * (low + 1);
  }

  /** The natural logarithms of the training noise levels. */
  static double[] logs(float[] sigmas) {
    double[] logs = new double[sigmas.length];
    for (int i = 0; i < sigmas.length; i++) {
      logs[i] = StrictMath.log(sigmas[i]);
    }
    return logs;
  }
}
