package t2i.diffusion;

/**
 * One finished image.
 *
 * @param rgb {@code height * width * 3} bytes, row-major, channels interleaved
 */
record GeneratedImage(int index, long seed, int width, int height, byte[] rgb) {}
