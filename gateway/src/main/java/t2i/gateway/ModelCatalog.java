package t2i.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.v1.ListModelsResponse;
import t2i.v1.ModelInfo;
import t2i.v1.Scheduler;

/** The answer to ListModels, built once at start-up from the model directories. Immutable. */
final class ModelCatalog {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ListModelsResponse response;

  private ModelCatalog(ListModelsResponse response) {
    this.response = response;
  }

  static ModelCatalog of(ModelRegistry models) {
    ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
    for (ModelDirectory model : models.all()) {
      response.addModels(
          ModelInfo.newBuilder()
              .setName(model.name())
              .setIsDefault(model.name().equals(models.defaultModel().name()))
              .setDefaultWidth(model.defaultImageSize())
              .setDefaultHeight(model.defaultImageSize())
              .setDefaultScheduler(defaultScheduler(model)));
    }
    return new ModelCatalog(response.build());
  }

  ListModelsResponse response() {
    return response;
  }

  /**
   * The sampler a request without one gets: the diffusers class the model's scheduler config names.
   * Classes without a sampler of their own here (PNDM, LMS and others, as SD 1.x exports name) are
   * sampled with DPM++ 2M, a multistep solver like them.
   */
  static Scheduler defaultScheduler(ModelDirectory model) {
    JsonNode config;
    try {
      config = JSON.readTree(model.schedulerConfig().toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + model.schedulerConfig(), e);
    }
    boolean karras = config.path("use_karras_sigmas").asBoolean(false);
    return switch (config.path("_class_name").asText("")) {
      case "DDIMScheduler" -> Scheduler.DDIM;
      case "EulerDiscreteScheduler" -> Scheduler.EULER;
      case "EulerAncestralDiscreteScheduler" -> Scheduler.EULER_ANCESTRAL;
      case "LCMScheduler" -> Scheduler.LCM;
      default -> karras ? Scheduler.DPMPP_2M_KARRAS : Scheduler.DPMPP_2M;
    };
  }
}
