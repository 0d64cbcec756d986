package t2i.diffusion.scheduler;

/**
 * DPM-Solver++ (2M): the second-order multistep solver of Lu et al. in its data-prediction form,
 * following diffusers' {@code DPMSolverMultistepScheduler} with {@code algorithm_type=dpmsolver++}
 * and {@code solver_order=2}. Latents are variance-preserving ({@code alpha * x0 + sigma * eps});
 * each step after the first extrapolates from the current and the previous clean-sample
 * predictions, the only state kept between steps.
 */
final class DpmSolverPlusPlus2MSampler extends ScheduledSampler {
  /** Below this many steps, {@code lower_order_final} makes the last step first order. */
  private static final int LOWER_ORDER_FINAL_BELOW_STEPS = 15;

  private final PredictionType predictionType;
  private final SolverType solverType;
  private final boolean firstOrderLastStep;
  private float[] x0 = new float[0];
  private float[] previousX0 = new float[0];
  private boolean hasPrevious;

  private DpmSolverPlusPlus2MSampler(SchedulerConfig config, Schedule schedule) {
    super(schedule);
    this.predictionType = config.predictionType();
    this.solverType = config.solverType();
    this.firstOrderLastStep =
        config.eulerAtFinal()
            || (config.lowerOrderFinal() && schedule.steps() < LOWER_ORDER_FINAL_BELOW_STEPS)
            || config.finalSigmasType() == FinalSigmasType.ZERO;
  }

  static DpmSolverPlusPlus2MSampler create(
      SchedulerConfig config, SamplingOptions options, boolean karras) {
    return new DpmSolverPlusPlus2MSampler(config, schedule(config, options, karras));
  }

  static Schedule schedule(SchedulerConfig config, SamplingOptions options, boolean karras) {
    int steps = options.steps();
    int numTrain = config.numTrainTimesteps();
    NoiseSchedule noiseSchedule = NoiseSchedule.forSigmaSamplers(config);
    float[] trainSigmas = noiseSchedule.sigmas();
    double[] timesteps;
    double[] sigmas;
    if (karras) {
      double sigmaMin = config.sigmaMin().orElse(trainSigmas[0]);
      double sigmaMax = config.sigmaMax().orElse(trainSigmas[numTrain - 1]);
      sigmas = TimestepGrid.karras(sigmaMin, sigmaMax, steps);
      double[] logSigmas = TimestepGrid.logs(trainSigmas);
      timesteps = new double[steps];
      for (int i = 0; i < steps; i++) {
        double t = TimestepGrid.sigmaToTimestep(sigmas[i], logSigmas);
        // diffusers rounds unless beta_schedule is the cosine one; its int64 cast then truncates.
        timesteps[i] =
            config.betaSchedule() == BetaSchedule.SQUAREDCOS_CAP_V2 ? Math.floor(t) : Math.rint(t);
      }
    } else {
      timesteps = spacedTimesteps(config, steps, lastTimestep(config, noiseSchedule));
      sigmas = new double[timesteps.length];
      for (int i = 0; i < timesteps.length; i++) {
        sigmas[i] = TimestepGrid.interpolate(trainSigmas, timesteps[i]);
      }
    }
    int n = timesteps.length;
    double[] withFinal = new double[n + 1];
    for (int i = 0; i < n; i++) {
      withFinal[i] = (float) sigmas[i];
      // Equal neighbouring noise levels make the multistep update divide by zero.
      if (i > 0 && !(withFinal[i] < withFinal[i - 1])) {
        throw new IllegalArgumentException(
            String.format(
                "steps=%d is too many for DPMPP_2M with timestep_spacing=%s: timesteps %d and %d"
                    + " have the same noise level; use fewer steps",
                steps,
                config.spacingFor(SchedulerKind.DPMPP_2M).configValue(),
                (long) timesteps[i - 1],
                (long) timesteps[i]));
      }
    }
    withFinal[n] = config.finalSigmasType() == FinalSigmasType.SIGMA_MIN ? trainSigmas[0] : 0.0;
    return new Schedule(timesteps, withFinal, 1.0);
  }

  /**
   * One past the last training timestep whose log-SNR is at least {@code lambda_min_clipped}:
   * diffusers counts the timesteps below it and takes them off the end.
   */
  private static int lastTimestep(SchedulerConfig config, NoiseSchedule noiseSchedule) {
    float[] lambdas = noiseSchedule.lambdas();
    int clipped = 0;
    for (float lambda : lambdas) {
      if (lambda < config.lambdaMinClipped()) {
        clipped++;
      }
    }
    int last = config.numTrainTimesteps() - clipped;
    if (last < 2) {
      throw new IllegalArgumentException(
          "lambda_min_clipped="
              + config.lambdaMinClipped()
              + " leaves fewer than 2 training timesteps to sample from");
    }
    return last;
  }

  /**
   * DPM-Solver's spacings differ from the other samplers': linspace and leading spread {@code steps
   * + 1} points and drop the one at 0, and all three stop at {@code last}.
   */
  private static double[] spacedTimesteps(SchedulerConfig config, int steps, int last) {
    int numTrain = config.numTrainTimesteps();
    return switch (config.spacingFor(SchedulerKind.DPMPP_2M)) {
      case LINSPACE -> {
        double[] grid = TimestepGrid.linspace(0, last - 1, steps + 1);
        double[] timesteps = new double[steps];
        for (int i = 0; i < steps; i++) {
          timesteps[i] = Math.rint(grid[steps - i]);
        }
        yield timesteps;
      }
      case LEADING -> {
        int stride = last / (steps + 1);
        double[] timesteps = new double[steps];
        for (int i = 0; i < steps; i++) {
          timesteps[i] = (double) (steps - i) * stride + config.stepsOffset();
        }
        yield timesteps;
      }
      case TRAILING -> {
        // The values above 0 of arange(last, 0, -numTrain / steps), counted exactly.
        int count = (int) (((long) last * steps + numTrain - 1) / numTrain);
        double[] grid = TimestepGrid.descendingArange(last, (double) numTrain / steps, count);
        double[] timesteps = new double[count];
        for (int i = 0; i < count; i++) {
          timesteps[i] = Math.rint(grid[i]) - 1;
        }
        yield timesteps;
      }
    };
  }

  @Override
  void advance(int index, float[] modelOutput, float[] latents) {
    if (x0.length != latents.length) {
      x0 = new float[latents.length];
      previousX0 = new float[latents.length];
    }
    double[] sigmas = schedule.sigmas();
    double sigmaS = sigmas[index];
    double alphaS = EulerSampler.inputScale(sigmaS);
    double vpSigmaS = sigmaS * alphaS;
    PredictionType.Coefficients c = predictionType.originalSample(alphaS, vpSigmaS);
    float ofSample = (float) c.ofSample();
    float ofModel = (float) c.ofModelOutput();
    for (int i = 0; i < latents.length; i++) {
      x0[i] = ofSample * latents[i] + ofModel * modelOutput[i];
    }

    double sigmaT = sigmas[index + 1];
    double alphaT = EulerSampler.inputScale(sigmaT);
    double vpSigmaT = sigmaT * alphaT;
    double h = lambda(alphaT, vpSigmaT) - lambda(alphaS, vpSigmaS);
    // At a final noise level of 0, h is infinite: the update reduces to x = x0.
    float keep = (float) (vpSigmaT / vpSigmaS);
    double expm1 = StrictMath.exp(-h) - 1.0;
    float ofX0 = (float) (-alphaT * expm1);
    boolean lastStep = index == schedule.steps() - 1;
    if (!hasPrevious || (lastStep && firstOrderLastStep)) {
      for (int i = 0; i < latents.length; i++) {
        latents[i] = keep * latents[i] + ofX0 * x0[i];
      }
    } else {
      double sigmaR = sigmas[index - 1];
      double alphaR = EulerSampler.inputScale(sigmaR);
      double r0 = (lambda(alphaS, vpSigmaS) - lambda(alphaR, sigmaR * alphaR)) / h;
      double ofDifference =
          switch (solverType) {
            case MIDPOINT -> -0.5 * alphaT * expm1;
            case HEUN -> alphaT * (expm1 / h + 1.0);
          };
      // D1 = (x0 - previousX0) / r0
      float ofD1 = (float) (ofDifference / r0);
      for (int i = 0; i < latents.length; i++) {
        latents[i] = keep * latents[i] + ofX0 * x0[i] + ofD1 * (x0[i] - previousX0[i]);
      }
    }
    float[] swap = previousX0;
    previousX0 = x0;
    x0 = swap;
    hasPrevious = true;
  }

  /** The log signal-to-noise ratio {@code ln(alpha) - ln(sigma)}. */
  private static double lambda(double alpha, double sigma) {
    return StrictMath.log(alpha) - StrictMath.log(sigma);
  }
}
