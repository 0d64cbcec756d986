package t2i.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import t2i.v1.Image;

class ImageFilesTest {

  private static Image image(int index) {
    return Image.newBuilder()
        .setIndex(index)
        .setPng(ByteString.copyFromUtf8("png" + index))
        .build();
  }

  @Test
  void oneImage_isWrittenToThePathGiven(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("new/dir/x.png");

    assertThat(ImageFiles.write(out, List.of(image(0)))).containsExactly(out);
    assertThat(Files.readString(out)).isEqualTo("png0");
  }

  @Test
  void severalImages_getTheirIndexBeforeTheExtension(@TempDir Path dir) throws IOException {
    List<Path> files = ImageFiles.write(dir.resolve("x.png"), List.of(image(0), image(1)));

    assertThat(files).containsExactly(dir.resolve("x-0.png"), dir.resolve("x-1.png"));
    assertThat(ImageFiles.indexed(Path.of("noext"), 3)).isEqualTo(Path.of("noext-3"));
  }
}
