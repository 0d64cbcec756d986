package t2i.diffusion;

/**
 * What jobs must share to go through the UNet in one call: the model, the latent size and the
 * length of their text embeddings.
 */
record BatchKey(String model, int latentHeight, int latentWidth, int sequence, int hidden) {}
