package t2i.launcher;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import t2i.client.GenerateClient;
import t2i.launcher.shapes.ShapesDomain;
import t2i.launcher.shapes.ShapesDomain.Subject;
import t2i.launcher.shapes.ShapesEvaluation;
import t2i.launcher.shapes.ShapesEvaluation.Result;
import t2i.launcher.shapes.ShapesEvaluation.Row;

/** {@code t2i shapes-grid}: a picture of generated images next to their prompts. */
@Command(
    name = "shapes-grid",
    mixinStandardHelpOptions = true,
    description = "Generate a grid of shapes-model images with their prompts, as one PNG.")
final class ShapesGridCommand implements Callable<Integer> {

  private static final int COLUMNS = 4;
  private static final int SCALE = 2;
  private static final int CAPTION = 34;
  private static final int PAD = 8;

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ShapesRunOptions run;

  @Option(names = "--out", paramLabel = "PATH", description = "Default ${DEFAULT-VALUE}.")
  Path out = Path.of("docs/shapes-grid.png");

  @Option(names = "--seed", description = "Seed of the first image (default ${DEFAULT-VALUE}).")
  long seed = 20_000;

  @Override
  public Integer call() throws Exception {
    ShapesDomain domain = ShapesDomain.load(run.modelDir());
    // Twelve prompts with every position, shape, colour and background in them.
    List<String> colors = List.copyOf(domain.colors().keySet());
    List<String> wheres = List.copyOf(domain.ninths().keySet());
    List<String> backgrounds = List.copyOf(domain.backgrounds().keySet());
    List<Subject> subjects =
        IntStream.range(0, 12)
            .mapToObj(
                i ->
                    new Subject(
                        colors.get(i * 5 % colors.size()),
                        domain.shapes().get(i % domain.shapes().size()),
                        wheres.get(i % wheres.size()),
                        backgrounds.get(i / 4 % backgrounds.size())))
            .toList();
    try (GatewaySession session =
        GatewaySession.open(run.server, run.apiKey.value(), run.cluster)) {
      Result result =
          ShapesEvaluation.run(
              new GenerateClient(session.channel()),
              domain,
              subjects,
              run.model,
              seed,
              run.steps,
              run.guidance,
              8,
              Duration.ofMinutes(10));
      write(result.rows(), domain.imageSize());
      System.out.println(out);
      return 0;
    }
  }

  private void write(List<Row> rows, int size) throws Exception {
    int cellWidth = size * SCALE * 2 + PAD;
    int cellHeight = size * SCALE + CAPTION + PAD;
    int rowsCount = (rows.size() + COLUMNS - 1) / COLUMNS;
    BufferedImage grid =
        new BufferedImage(
            COLUMNS * cellWidth + PAD, rowsCount * cellHeight + PAD, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = grid.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      int x = PAD + (i % COLUMNS) * cellWidth;
      int y = PAD + (i / COLUMNS) * cellHeight;
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(row.png()));
      g.drawImage(image, x + size * SCALE / 2, y, size * SCALE, size * SCALE, null);
      g.setColor(Color.LIGHT_GRAY);
      g.drawRect(x + size * SCALE / 2 - 1, y - 1, size * SCALE + 1, size * SCALE + 1);
      g.setColor(Color.DARK_GRAY);
      Subject s = row.wanted();
      g.drawString("a " + s.color() + " " + s.shape() + " " + s.where(), x, y + size * SCALE + 13);
      g.drawString("on a " + s.background() + " background", x, y + size * SCALE + 26);
    }
    g.dispose();
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    ImageIO.write(grid, "png", out.toFile());
  }
}
