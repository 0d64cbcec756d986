package t2i.diffusion;

import t2i.pipeline.tensor.FloatTensor;
import t2i.v1.GenerateRequest;

/**
 * One job's work for the {@link DenoisingEngine}: its resolved request and its prompt embeddings
 * ({@code [sequence, hidden]}, equal shapes).
 *
 * @param deadlineUnixMs when nobody waits for the result any more; 0 for none
 * @param steps hears each finished denoising step, on the engine's denoising thread; must be quick
 */
record DenoisingRequest(
    String jobId,
    String model,
    GenerateRequest request,
    FloatTensor cond,
    FloatTensor uncond,
    long deadlineUnixMs,
    StepListener steps) {

  /** Hears a job's progress. */
  interface StepListener {
    void stepDone(int step, int totalSteps);

    /**
     * Offers the first image's latent after a step, right after {@link #stepDone}; {@code latent}
     * is valid during this call only. Ignored unless a listener wants previews.
     */
    default void latentAfterStep(int step, int totalSteps, LatentPeek latent) {}

    StepListener NONE = (step, total) -> {};
  }

  /** The first image's latent of a job after a step, as a preview, computed only when asked. */
  interface LatentPeek {
    /** The preview: interleaved RGB bytes, one pixel per latent pixel. */
    byte[] rgb();

    int width();

    int height();
  }
}
