package t2i.clip.prompt;

/**
 * Where one token of a prompt ended up.
 *
 * @param chunk index of its window, or -1 if it was cut off
 * @param position index within the window (BOS is 0), or -1 if cut off
 */
public record PlacedToken(int id, float weight, int chunk, int position) {

  public boolean isCutOff() {
    return chunk < 0;
  }
}
