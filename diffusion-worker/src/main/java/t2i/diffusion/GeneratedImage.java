package t2i.diffusion;

/**
 * One finished image.
 *
 * @param rgb {@code height * width * 3} bytes, row-major, channels interleaved
 */
// Images are passed on and encoded, never compared, so record equality on the pixels is unused.
@SuppressWarnings("ArrayRecordComponent")
record GeneratedImage(int index, long seed, int width, int height, byte[] rgb) {}
