package t2i.diffusion.scheduler;

import java.util.Objects;

/** The step bookkeeping shared by the samplers of this package. */
abstract sealed class ScheduledSampler implements Sampler
    permits DdimSampler,
        EulerSampler,
        EulerAncestralSampler,
        DpmSolverPlusPlus2MSampler,
        LcmSampler {
  final Schedule schedule;
  private int stepIndex;

  ScheduledSampler(Schedule schedule) {
    this.schedule = schedule;
  }

  @Override
  public final int steps() {
    return schedule.steps();
  }

  @Override
  public final int stepIndex() {
    return stepIndex;
  }

  @Override
  public final boolean isDone() {
    return stepIndex >= schedule.steps();
  }

  @Override
  public final double timestep() {
    requireNotDone();
    return schedule.timesteps()[stepIndex];
  }

  @Override
  public double inputScale() {
    requireNotDone();
    return 1.0;
  }

  @Override
  public final double initNoiseSigma() {
    return schedule.initNoiseSigma();
  }

  @Override
  public final void step(float[] modelOutput, float[] latents) {
    Objects.requireNonNull(modelOutput, "modelOutput");
    Objects.requireNonNull(latents, "latents");
    requireNotDone();
    if (modelOutput.length != latents.length) {
      throw new IllegalArgumentException(
          "modelOutput has "
              + modelOutput.length
              + " values but latents has "
              + latents.length
              + "; they must match");
    }
    advance(stepIndex, modelOutput, latents);
    stepIndex++;
  }

  /** Moves {@code latents} from the sample of step {@code index} to the next one. */
  abstract void advance(int index, float[] modelOutput, float[] latents);

  final void requireNotDone() {
    if (isDone()) {
      throw new IllegalStateException(
          "sampling is done: all " + schedule.steps() + " steps have been taken");
    }
  }
}
