package t2i.launcher;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import t2i.client.GenerateClient;
import t2i.launcher.shapes.ShapesDomain;
import t2i.launcher.shapes.ShapesEvaluation;
import t2i.launcher.shapes.ShapesEvaluation.Result;
import t2i.launcher.shapes.ShapesEvaluation.Row;

/** {@code t2i evaluate-shapes}: how faithfully the shapes model draws its 54 evaluation prompts. */
@Command(
    name = "evaluate-shapes",
    mixinStandardHelpOptions = true,
    description =
        "Generate the shapes model's 54 evaluation prompts and report, per attribute, how often"
            + " the image shows what the prompt says.")
final class EvaluateShapesCommand implements Callable<Integer> {

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ShapesRunOptions run;

  @Option(names = "--seed", description = "Seed of the first prompt (default ${DEFAULT-VALUE}).")
  long seed = 10_000;

  @Override
  public Integer call() throws Exception {
    ShapesDomain domain = ShapesDomain.load(run.modelDir());
    try (GatewaySession session =
        GatewaySession.open(run.server, run.apiKey.value(), run.cluster)) {
      Result result =
          ShapesEvaluation.run(
              new GenerateClient(session.channel()),
              domain,
              domain.evaluationSet(),
              run.model,
              seed,
              run.steps,
              run.guidance,
              8,
              Duration.ofMinutes(10));
      for (Row row : result.rows()) {
        if (!ShapesEvaluation.ATTRIBUTES.stream().allMatch(row::matches)) {
          System.out.printf(
              Locale.ROOT,
              "seed %d: asked \"%s\", saw %s %s %s on %s (fill %.2f)%n",
              row.seed(),
              row.wanted().prompt(),
              row.seen().color(),
              row.seen().shape(),
              row.seen().where(),
              row.seen().background(),
              row.seen().fill());
        }
      }
      System.out.printf(
          Locale.ROOT,
          "%d prompts, %d steps, guidance %.1f%n",
          result.rows().size(),
          run.steps,
          run.guidance);
      result
          .accuracy()
          .forEach(
              (attribute, share) ->
                  System.out.printf(Locale.ROOT, "%-10s %5.1f %%%n", attribute, 100 * share));
      return 0;
    }
  }
}
