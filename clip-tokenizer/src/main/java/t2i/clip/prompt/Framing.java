package t2i.clip.prompt;

/**
 * How a text encoder wants its input: windows of {@code window} ids, each {@code BOS + tokens +
 * EOS} and then {@code pad} up to the window.
 */
public record Framing(int window, int bos, int eos, int pad) {

  /** CLIP's context length, used by every Stable Diffusion text encoder. */
  public static final int CLIP_WINDOW = 77;

  public Framing {
    if (window < 3) {
      throw new IllegalArgumentException("the token window must be at least 3, was " + window);
    }
  }

  /** Tokens that fit in one window between BOS and EOS. */
  public int capacity() {
    return window - 2;
  }
}
