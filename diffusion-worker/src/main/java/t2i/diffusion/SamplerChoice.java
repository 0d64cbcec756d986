package t2i.diffusion;

import t2i.diffusion.scheduler.SamplingOptions;
import t2i.diffusion.scheduler.SchedulerConfig;
import t2i.diffusion.scheduler.SchedulerKind;
import t2i.v1.Scheduler;

/** Turns a request's scheduler choice into sampling options for a model. */
final class SamplerChoice {

  private SamplerChoice() {}

  /**
   * @throws IllegalArgumentException for a scheduler value this server does not know
   */
  static SamplingOptions options(Scheduler requested, SchedulerConfig model, int steps) {
    return switch (requested) {
      case SCHEDULER_UNSPECIFIED -> new SamplingOptions(model.defaultKind(), steps, false);
      case DDIM -> new SamplingOptions(SchedulerKind.DDIM, steps, false);
      case EULER -> new SamplingOptions(SchedulerKind.EULER, steps, false);
      case EULER_ANCESTRAL -> new SamplingOptions(SchedulerKind.EULER_ANCESTRAL, steps, false);
      case DPMPP_2M -> new SamplingOptions(SchedulerKind.DPMPP_2M, steps, false);
      case DPMPP_2M_KARRAS -> new SamplingOptions(SchedulerKind.DPMPP_2M, steps, true);
      case LCM -> new SamplingOptions(SchedulerKind.LCM, steps, false);
      case UNRECOGNIZED ->
          throw new IllegalArgumentException("scheduler value is not one this server knows");
    };
  }
}
