package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Compares the samplers with {@code scheduler/diffusers_reference.json}: schedules and short
 * sampling runs that diffusers' own scheduler classes produced (see {@code diffusers_reference.py}
 * beside it for how, and for the stand-in model of the runs).
 */
class DiffusersReferenceTest {
  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final JsonNode REFERENCE = load();

  private static JsonNode load() {
    try (InputStream in =
        DiffusersReferenceTest.class.getResourceAsStream("/scheduler/diffusers_reference.json")) {
      return MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @TestFactory
  Stream<DynamicTest> schedules_everyConfigKindSpacingAndStepCount_matchDiffusers() {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode entry : REFERENCE.get("schedules")) {
      String name =
          entry.get("kind").asText()
              + " "
              + entry.get("config").asText()
              + " "
              + entry.get("overrides")
              + " steps="
              + entry.get("steps").asInt();
      tests.add(DynamicTest.dynamicTest(name, () -> assertScheduleMatches(entry)));
    }
    return tests.stream();
  }

  private static void assertScheduleMatches(JsonNode entry) {
    String configName = entry.get("config").asText();
    ObjectNode json =
        configName.equals("cosine_lambda_clipped")
            ? REFERENCE.get("configs").get("cosine").deepCopy()
            : REFERENCE.get("configs").get(configName).deepCopy();
    if (configName.equals("cosine_lambda_clipped")) {
      json.put("lambda_min_clipped", -5.1);
    }
    json.setAll((ObjectNode) entry.get("overrides"));
    SchedulerConfig config = SchedulerConfig.fromJson(json.toString());
    SchedulerKind kind = SchedulerKind.valueOf(entry.get("kind").asText());
    int steps = entry.get("steps").asInt();
    SamplingOptions options = SamplingOptions.of(kind, steps);

    double[] expectedTimesteps = doubles(entry.get("timesteps"));
    double[] expectedSigmas = doubles(entry.get("sigmas"));
    double[] timesteps = Samplers.timesteps(config, options);
    double[] sigmas = Samplers.sigmas(config, options);
    if (expectedTimesteps.length == timesteps.length + 1) {
      // numpy's arange gives diffusers' trailing spacing an extra, last timestep of -1 for some
      // step counts; the samplers stop at the requested count and land where diffusers would
      // have before that extra step.
      assertThat(expectedTimesteps[timesteps.length]).isEqualTo(-1.0);
      expectedTimesteps = Arrays.copyOf(expectedTimesteps, timesteps.length);
      if (expectedSigmas.length == timesteps.length + 2) {
        double last = expectedSigmas[timesteps.length + 1];
        expectedSigmas = Arrays.copyOf(expectedSigmas, timesteps.length + 1);
        expectedSigmas[timesteps.length] = last;
      }
    }
    assertThat(timesteps).hasSameSizeAs(expectedTimesteps);
    for (int i = 0; i < timesteps.length; i++) {
      assertThat(timesteps[i]).as("timestep %d", i).isCloseTo(expectedTimesteps[i], within(2e-4));
    }
    assertThat(sigmas).hasSameSizeAs(expectedSigmas);
    for (int i = 0; i < sigmas.length; i++) {
      assertClose("sigma " + i, sigmas[i], expectedSigmas[i], 1e-5);
    }
    Sampler sampler = Samplers.create(config, options, new SeededNoise(0));
    assertClose(
        "init_noise_sigma",
        sampler.initNoiseSigma(),
        entry.get("init_noise_sigma").asDouble(),
        1e-6);
  }

  @TestFactory
  Stream<DynamicTest> runs_diffusersStepLoopWithAnalyticModel_latentsMatchAfterEveryStep() {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode entry : REFERENCE.get("runs")) {
      String name =
          entry.get("kind").asText()
              + " "
              + entry.get("name").asText()
              + " steps="
              + entry.get("steps").asInt()
              + " "
              + entry.get("config");
      tests.add(DynamicTest.dynamicTest(name, () -> assertRunMatches(entry)));
    }
    return tests.stream();
  }

  private static void assertRunMatches(JsonNode entry) {
    SchedulerConfig config = SchedulerConfig.fromJson(entry.get("config").toString());
    SchedulerKind kind = SchedulerKind.valueOf(entry.get("kind").asText());
    int steps = entry.get("steps").asInt();
    Sampler sampler =
        Samplers.create(config, SamplingOptions.of(kind, steps), new ReplayedNoise(stepNoise()));
    assertThat(sampler.steps()).isEqualTo(steps);
    assertClose(
        "init_noise_sigma",
        sampler.initNoiseSigma(),
        entry.get("init_noise_sigma").asDouble(),
        1e-6);

    float[] latents = floats(REFERENCE.get("initial_noise"));
    for (int i = 0; i < latents.length; i++) {
      latents[i] = (float) (latents[i] * sampler.initNoiseSigma());
    }
    for (int step = 0; step < steps; step++) {
      double t = sampler.timestep();
      assertThat(t)
          .as("timestep %d", step)
          .isCloseTo(entry.get("timesteps").get(step).asDouble(), within(2e-4));
      assertClose(
          "input scale " + step,
          sampler.inputScale(),
          entry.get("input_scales").get(step).asDouble(),
          1e-6);
      float[] modelOutput = analyticModel(latents, sampler.inputScale(), t);
      sampler.step(modelOutput, latents);
      float[] expected = floats(entry.get("latents").get(step));
      for (int i = 0; i < latents.length; i++) {
        assertThat((double) latents[i])
            .as("step %d, element %d", step, i)
            .isCloseTo(expected[i], within(1e-4 * Math.max(1, Math.abs(expected[i]))));
      }
    }
    assertThat(sampler.isDone()).isTrue();
  }

  /** The stand-in UNet of the reference runs: 0.8 * input + 0.2 * cos(0.9 * i + t / 250). */
  private static float[] analyticModel(float[] latents, double inputScale, double t) {
    float[] output = new float[latents.length];
    for (int i = 0; i < latents.length; i++) {
      float input = (float) (latents[i] * inputScale);
      output[i] = (float) (0.8 * input + 0.2 * Math.cos(0.9 * i + t / 250.0));
    }
    return output;
  }

  private static List<float[]> stepNoise() {
    List<float[]> draws = new ArrayList<>();
    for (JsonNode draw : REFERENCE.get("step_noise")) {
      draws.add(floats(draw));
    }
    return draws;
  }

  /** Hands out the reference's per-step noise arrays in order, as diffusers drew them. */
  private static final class ReplayedNoise implements NoiseSource {
    private final List<float[]> draws;
    private int next;

    ReplayedNoise(List<float[]> draws) {
      this.draws = draws;
    }

    @Override
    public void fillGaussian(float[] out) {
      float[] draw = draws.get(next++);
      System.arraycopy(draw, 0, out, 0, out.length);
    }
  }

  private static float[] floats(JsonNode array) {
    float[] values = new float[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) array.get(i).asDouble();
    }
    return values;
  }

  private static void assertClose(String what, double actual, double expected, double relative) {
    if (Double.isInfinite(expected)) {
      assertThat(actual).as(what).isEqualTo(expected);
    } else {
      assertThat(actual)
          .as(what)
          .isCloseTo(expected, within(relative * Math.max(Math.abs(expected), 1e-3)));
    }
  }

  private static double[] doubles(JsonNode array) {
    double[] values = new double[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asDouble();
    }
    return values;
  }
}
