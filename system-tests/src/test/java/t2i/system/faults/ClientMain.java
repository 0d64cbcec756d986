package t2i.system.faults;

import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import t2i.client.Channels;
import t2i.v1.GenerateRequest;

/**
 * The fault tests' clients as a program of their own, to run on another network host: {@code
 * ClientMain GATEWAY JOBS PER_SECOND PREFIX OUT} writes one line per client to OUT: request id, job
 * id, final state, images received, duplicate events.
 */
public final class ClientMain {

  private ClientMain() {}

  public static void main(String[] args) throws Exception {
    String gateway = args[0];
    int jobs = Integer.parseInt(args[1]);
    double perSecond = Double.parseDouble(args[2]);
    String prefix = args[3];
    Path out = Path.of(args[4]);
    GenerateRequest template =
        GenerateRequest.newBuilder()
            .setPrompt("a red circle at the top left on a white background")
            .setWidth(64)
            .setHeight(64)
            .setSteps(4)
            .setGuidanceScale(1f)
            .setCount(1)
            .build();
    ManagedChannel channel = Channels.open(gateway);
    try {
      List<JobLoad.Outcome> outcomes =
          JobLoad.run(channel, prefix, jobs, perSecond, template, Duration.ofMinutes(4), () -> {});
      StringBuilder lines = new StringBuilder();
      for (JobLoad.Outcome o : outcomes) {
        lines.append(
            "%s %s %s %d %d%n"
                .formatted(
                    o.requestId(),
                    o.jobId().isEmpty() ? "-" : o.jobId(),
                    o.state(),
                    o.imagesReceived(),
                    o.duplicateEvents()));
      }
      Files.writeString(out, lines, StandardCharsets.UTF_8);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
