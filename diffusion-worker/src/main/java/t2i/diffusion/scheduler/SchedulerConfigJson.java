package t2i.diffusion.scheduler;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** Reads diffusers' {@code scheduler_config.json} text into a {@link SchedulerConfig}. */
final class SchedulerConfigJson {
  // Python's json module writes -Infinity (diffusers' default lambda_min_clipped) and NaN.
  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private final JsonNode root;

  private SchedulerConfigJson(JsonNode root) {
    this.root = root;
  }

  static SchedulerConfig read(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(
          "scheduler config is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("scheduler config must be a JSON object");
    }
    return new SchedulerConfigJson(root).toConfig();
  }

  private SchedulerConfig toConfig() {
    rejectUnsupported();
    SchedulerConfig.Builder b = SchedulerConfig.builder();
    string("_class_name", name -> classDefaults(b.className(name), name));
    integer("num_train_timesteps", b::numTrainTimesteps);
    number("beta_start", b::betaStart);
    number("beta_end", b::betaEnd);
    string("beta_schedule", v -> b.betaSchedule(BetaSchedule.fromConfigValue(v)));
    numbers("trained_betas", b::trainedBetas);
    bool("rescale_betas_zero_snr", b::rescaleBetasZeroSnr);
    string("prediction_type", v -> b.predictionType(PredictionType.fromConfigValue(v)));
    string("timestep_spacing", v -> b.timestepSpacing(TimestepSpacing.fromConfigValue(v)));
    integer("steps_offset", b::stepsOffset);
    bool("set_alpha_to_one", b::setAlphaToOne);
    bool("clip_sample", b::clipSample);
    number("clip_sample_range", b::clipSampleRange);
    bool("use_karras_sigmas", b::useKarrasSigmas);
    number("sigma_min", b::sigmaMin);
    number("sigma_max", b::sigmaMax);
    string("final_sigmas_type", v -> b.finalSigmasType(FinalSigmasType.fromConfigValue(v)));
    string("timestep_type", v -> b.timestepType(TimestepType.fromConfigValue(v)));
    string("solver_type", v -> b.solverType(SolverType.fromConfigValue(v)));
    bool("lower_order_final", b::lowerOrderFinal);
    bool("euler_at_final", b::eulerAtFinal);
    number("lambda_min_clipped", b::lambdaMinClipped);
    integer("original_inference_steps", b::originalInferenceSteps);
    number("timestep_scaling", b::timestepScaling);
    return b.build();
  }

  /**
   * LCMScheduler's beta defaults differ from the other classes'; a config saved by diffusers always
   * carries these fields, so this only matters for hand-written ones.
   */
  private static void classDefaults(SchedulerConfig.Builder b, String className) {
    if (SchedulerKind.LCM.diffusersClassName().equals(className)) {
      b.betaStart(0.00085).betaEnd(0.012).betaSchedule(BetaSchedule.SCALED_LINEAR);
    }
  }

  /**
   * Features of the diffusers classes that this package does not implement; silently ignoring them
   * would sample with a different noise schedule than the model expects.
   */
  private void rejectUnsupported() {
    for (String flag :
        List.of(
            "thresholding",
            "use_exponential_sigmas",
            "use_beta_sigmas",
            "use_lu_lambdas",
            "use_flow_sigmas")) {
      bool(
          flag,
          enabled -> {
            if (enabled) {
              throw new IllegalArgumentException(flag + "=true is not supported; it must be false");
            }
          });
    }
    string(
        "interpolation_type",
        v -> {
          if (!v.equals("linear")) {
            throw new IllegalArgumentException(
                "interpolation_type must be 'linear' (the only one supported), got '" + v + "'");
          }
        });
  }

  /** The field's node, or null when it is absent or JSON null (both mean "use the default"). */
  private @Nullable JsonNode field(String name) {
    JsonNode node = root.get(name);
    return node == null || node.isNull() ? null : node;
  }

  private void string(String name, Consumer<String> sink) {
    JsonNode node = field(name);
    if (node != null) {
      if (!node.isTextual()) {
        throw new IllegalArgumentException(name + " must be a string, got " + node);
      }
      sink.accept(node.textValue());
    }
  }

  private void bool(String name, Consumer<Boolean> sink) {
    JsonNode node = field(name);
    if (node != null) {
      if (!node.isBoolean()) {
        throw new IllegalArgumentException(name + " must be true or false, got " + node);
      }
      sink.accept(node.booleanValue());
    }
  }

  private void integer(String name, Consumer<Integer> sink) {
    JsonNode node = field(name);
    if (node != null) {
      if (!node.isNumber() || !node.canConvertToExactIntegral() || !node.canConvertToInt()) {
        throw new IllegalArgumentException(name + " must be an integer, got " + node);
      }
      sink.accept(node.asInt());
    }
  }

  private void number(String name, Consumer<Double> sink) {
    JsonNode node = field(name);
    if (node != null) {
      if (!node.isNumber()) {
        throw new IllegalArgumentException(name + " must be a number, got " + node);
      }
      sink.accept(node.doubleValue());
    }
  }

  private void numbers(String name, Consumer<List<Double>> sink) {
    JsonNode node = field(name);
    if (node != null) {
      if (!node.isArray()) {
        throw new IllegalArgumentException(name + " must be an array of numbers, got " + node);
      }
      if (node.isEmpty()) {
        throw new IllegalArgumentException(name + " must be null or hold the betas, got []");
      }
      List<Double> values = new ArrayList<>(node.size());
      for (JsonNode element : node) {
        if (!element.isNumber()) {
          throw new IllegalArgumentException(
              name + " must be an array of numbers, found " + element);
        }
        values.add(element.doubleValue());
      }
      sink.accept(values);
    }
  }
}
