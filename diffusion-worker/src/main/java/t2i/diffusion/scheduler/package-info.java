/**
 * The samplers ("schedulers") of the denoising loop: DDIM, Euler, Euler ancestral, DPM++ 2M (with
 * optional Karras noise levels) and LCM, each following the diffusers class of the same name and
 * configured from a model's {@code scheduler/scheduler_config.json}.
 *
 * <p>{@link t2i.diffusion.scheduler.SchedulerConfig} reads the config once per model; {@link
 * t2i.diffusion.scheduler.Samplers#create} makes one {@link t2i.diffusion.scheduler.Sampler} per
 * image and request, which the loop drives step by step (see {@code Sampler} for the loop). All
 * randomness comes from {@link t2i.diffusion.scheduler.NoiseSource}s that the caller supplies,
 * usually a {@link t2i.diffusion.scheduler.SeededNoise} per image, so a seed reproduces an image
 * exactly. Values are immutable and thread-safe; samplers and noise sources are confined to one
 * image.
 *
 * <p>Schedules match diffusers to float32 rounding (timesteps exactly, noise levels to about 1e-6
 * relative). Where this package departs from diffusers:
 *
 * <ul>
 *   <li>Trailing spacing always yields the requested number of steps: numpy's {@code arange} makes
 *       diffusers add a spurious last timestep of -1 for some step counts (61, 103, ...).
 *   <li>Karras noise levels map back to timesteps through double-precision logarithms, so the
 *       largest level maps exactly to the last training timestep.
 *   <li>Euler ancestral also accepts {@code prediction_type=sample}, and skips drawing the noise
 *       its last step would multiply by zero.
 *   <li>Configs that select a diffusers feature not implemented here ({@code thresholding},
 *       exponential, beta or flow sigmas, log-linear interpolation) are rejected instead of being
 *       sampled with a different schedule.
 * </ul>
 */
package t2i.diffusion.scheduler;
