package t2i.diffusion;

import java.io.IOException;
import java.util.Optional;
import t2i.diffusion.engine.EngineSettings;
import t2i.diffusion.engine.Unet;
import t2i.diffusion.engine.VaeDecoder;
import t2i.diffusion.image.LatentPreview;
import t2i.diffusion.scheduler.SchedulerConfig;
import t2i.pipeline.model.ModelDirectory;

/**
 * A model's diffusion components, loaded: UNet, VAE decoder, scheduler configuration and the
 * latent-to-RGB projection of its previews. Owns the engine models; not thread-safe (see {@link
 * Unet}).
 */
record DiffusionModel(
    ModelDirectory directory,
    Unet unet,
    VaeDecoder vaeDecoder,
    SchedulerConfig scheduler,
    LatentPreviewFit preview)
    implements AutoCloseable {

  static DiffusionModel load(ModelDirectory directory, EngineSettings engine) throws IOException {
    return load(directory, engine, 1);
  }

  /**
   * @param parallelUnetCalls into how many calls that run at once the UNet may split a batch (see
   *     {@link Unet#load(java.nio.file.Path, String, EngineSettings, int)})
   */
  static DiffusionModel load(ModelDirectory directory, EngineSettings engine, int parallelUnetCalls)
      throws IOException {
    SchedulerConfig scheduler = SchedulerConfig.parse(directory.schedulerConfig());
    Optional<LatentPreview> stored = LatentPreview.read(directory.root());
    Unet unet = Unet.load(directory.unet(), directory.name(), engine, parallelUnetCalls);
    try {
      // The decoder runs beside the UNet's calls: it takes a share of the cores like one of them.
      VaeDecoder vae =
          VaeDecoder.load(
              directory.vaeDecoder(),
              directory.name(),
              engine.withCoresSharedBy(parallelUnetCalls));
      try {
        LatentPreviewFit preview = LatentPreviewFit.of(directory, stored, vae);
        return new DiffusionModel(directory, unet, vae, scheduler, preview);
      } catch (RuntimeException e) {
        vae.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      unet.close();
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      vaeDecoder.close();
    } finally {
      unet.close();
    }
  }
}
