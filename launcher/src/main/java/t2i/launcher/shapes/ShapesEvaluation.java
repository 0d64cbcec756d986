package t2i.launcher.shapes;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import javax.imageio.ImageIO;
import t2i.client.GenerateClient;
import t2i.client.Generation;
import t2i.client.ProgressListener;
import t2i.launcher.shapes.ShapeClassifier.Reading;
import t2i.launcher.shapes.ShapesDomain.Subject;
import t2i.v1.GenerateRequest;

/**
 * Generates one image per prompt of an evaluation set through a gateway and reads each back with
 * the {@link ShapeClassifier}: how often the picture shows what the prompt says, per attribute.
 */
public final class ShapesEvaluation {

  /** One prompt's outcome. */
  // Rows are reported one by one and never compared, so record equality on the PNG is unused.
  @SuppressWarnings("ArrayRecordComponent")
  public record Row(Subject wanted, long seed, Reading seen, byte[] png) {
    public boolean matches(String attribute) {
      return switch (attribute) {
        case "color" -> wanted.color().equals(seen.color());
        case "shape" -> wanted.shape().equals(seen.shape());
        case "position" -> wanted.where().equals(seen.where());
        case "background" -> wanted.background().equals(seen.background());
        default -> throw new IllegalArgumentException(attribute);
      };
    }
  }

  /** Per attribute, the share of images that show what was asked. */
  public record Result(List<Row> rows, Map<String, Double> accuracy) {}

  public static final List<String> ATTRIBUTES = List.of("color", "background", "position", "shape");

  private ShapesEvaluation() {}

  /**
   * Generates the subjects' images through the client and reads each back.
   *
   * @param model the model to ask for
   * @param firstSeed prompt {@code i} is generated with seed {@code firstSeed + i}
   * @param concurrency requests in flight at once (the workers batch them)
   */
  public static Result run(
      GenerateClient client,
      ShapesDomain domain,
      List<Subject> subjects,
      String model,
      long firstSeed,
      int steps,
      float guidance,
      int concurrency,
      Duration timeout)
      throws InterruptedException {
    ShapeClassifier classifier = new ShapeClassifier(domain);
    Semaphore inFlight = new Semaphore(concurrency);
    List<Future<Row>> futures = new ArrayList<>();
    try (ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < subjects.size(); i++) {
        Subject subject = subjects.get(i);
        long seed = firstSeed + i;
        inFlight.acquire();
        futures.add(
            requests.submit(
                () -> {
                  try {
                    GenerateRequest request =
                        GenerateRequest.newBuilder()
                            .setPrompt(subject.prompt())
                            .setModel(model)
                            .setSteps(steps)
                            .setGuidanceScale(guidance)
                            .setSeed(seed)
                            .build();
                    Generation generation =
                        client.generate(request, timeout, ProgressListener.NONE);
                    byte[] png = generation.images().getFirst().getPng().toByteArray();
                    return new Row(subject, seed, classifier.read(decode(png)), png);
                  } finally {
                    inFlight.release();
                  }
                }));
      }
      List<Row> rows = new ArrayList<>();
      for (Future<Row> future : futures) {
        rows.add(future.get());
      }
      Map<String, Double> accuracy = new LinkedHashMap<>();
      for (String attribute : ATTRIBUTES) {
        accuracy.put(
            attribute,
            rows.stream().filter(r -> r.matches(attribute)).count() / (double) rows.size());
      }
      return new Result(rows, accuracy);
    } catch (ExecutionException e) {
      throw new IllegalStateException("generating an evaluation image failed: " + e.getCause(), e);
    }
  }

  static BufferedImage decode(byte[] png) {
    try {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      if (image == null) {
        throw new IOException("not a PNG");
      }
      return image;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
