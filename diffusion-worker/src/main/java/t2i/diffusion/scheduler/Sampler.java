package t2i.diffusion.scheduler;

/**
 * One image's sampling state: which step comes next, what the model is to be called with, and how
 * the latents move on once it has answered. Not thread-safe: one instance per image, driven by one
 * thread at a time. Deterministic: given the same config, options and {@link NoiseSource} sequence,
 * the same model outputs give bit-identical latents on every JVM.
 *
 * <p>The denoising loop, per image:
 *
 * <pre>{@code
 * latents = noise * sampler.initNoiseSigma()            // noise from the image's own NoiseSource
 * while (!sampler.isDone()) {
 *   modelInput = latents * sampler.inputScale()
 *   modelOutput = unet(modelInput, sampler.timestep())  // after classifier-free guidance
 *   sampler.step(modelOutput, latents)                  // latents now hold the next sample
 * }
 * }</pre>
 */
public interface Sampler {
  /** The number of model evaluations in total. */
  int steps();

  /** The 0-based index of the next step; equals {@link #steps()} once done. */
  int stepIndex();

  /** Whether every step has been taken; the latents then hold the final sample. */
  boolean isDone();

  /**
   * The model timestep of the current step (diffusers' {@code t}). It may be fractional (Euler with
   * linspace spacing or Karras sigmas); callers of models that take an int64 timestep round it.
   *
   * @throws IllegalStateException if sampling is done
   */
  double timestep();

  /**
   * The factor by which the latents are multiplied to form the model input at the current step
   * (diffusers' {@code scale_model_input}): {@code 1 / sqrt(sigma^2 + 1)} for the Euler samplers,
   * whose latents carry the noise unscaled, and 1 for the others.
   *
   * @throws IllegalStateException if sampling is done
   */
  double inputScale();

  /** The standard deviation of the initial noise: initial latents are {@code noise * this}. */
  double initNoiseSigma();

  /**
   * Takes the current step: replaces {@code latents} (the sample the model input was formed from,
   * not the scaled input) with the next sample, given the model's output for the current step, and
   * advances {@link #stepIndex()}. Samplers that add noise draw it from the {@link NoiseSource}
   * they were created with.
   *
   * @throws IllegalArgumentException if the two arrays differ in length
   * @throws IllegalStateException if sampling is done
   */
  void step(float[] modelOutput, float[] latents);
}
