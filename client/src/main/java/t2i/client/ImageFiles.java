package t2i.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import t2i.v1.Image;

/** Writes generated images to files. */
public final class ImageFiles {

  private ImageFiles() {}

  /**
   * Writes one image to {@code out}, or several to {@code out} with {@code -INDEX} inserted before
   * the extension; creates missing parent directories.
   *
   * @return the files written, in image order
   */
  public static List<Path> write(Path out, List<Image> images) throws IOException {
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    List<Path> written = new ArrayList<>();
    for (Image image : images) {
      Path file = images.size() == 1 ? out : indexed(out, image.getIndex());
      Files.write(file, image.getPng().toByteArray());
      written.add(file);
    }
    return written;
  }

  static Path indexed(Path out, int index) {
    String name = out.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String indexed =
        dot > 0 ? name.substring(0, dot) + "-" + index + name.substring(dot) : name + "-" + index;
    return out.resolveSibling(indexed);
  }
}
