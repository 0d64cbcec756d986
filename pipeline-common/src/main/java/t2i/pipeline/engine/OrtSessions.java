package t2i.pipeline.engine;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import t2i.pipeline.model.OnnxSignature;

/** Builds the ONNX Runtime session options of one model from a worker's engine settings. */
public final class OrtSessions {

  private OrtSessions() {}

  /**
   * Session options for one model, with its execution provider; the caller closes them after the
   * model. Run {@link GpuPreflight#check} first: ONNX Runtime's own errors for a missing GPU stack
   * name neither the setting nor the remedy.
   *
   * @param modelName names the model's TensorRT engine cache
   * @param signature the model's inputs, for TensorRT's profile
   * @param rowsPerImage batch rows per image in the model's calls (2 for a UNet with guidance)
   * @throws IOException if the TensorRT cache directory cannot be created
   */
  public static SessionOptions options(
      OrtEngineSettings settings, String modelName, OnnxSignature signature, int rowsPerImage)
      throws OrtException, IOException {
    SessionOptions session = new SessionOptions();
    try {
      if (settings.intraOpThreads() > 0) {
        session.setIntraOpNumThreads(settings.intraOpThreads());
      }
      session.addConfigEntry(
          "session.intra_op.allow_spinning", settings.allowSpinning() ? "1" : "0");
      switch (settings.provider()) {
        case CPU -> {}
        case CUDA -> addCuda(session, settings.deviceId());
        case TensorRT -> {
          // The session copies provider options when they are added: they are closed at once.
          try (OrtTensorRTProviderOptions trt =
              tensorRt(settings, modelName, signature, rowsPerImage)) {
            session.addTensorrt(trt);
          }
          // Layers TensorRT cannot take run on CUDA rather than on the CPU.
          addCuda(session, settings.deviceId());
        }
      }
      return session;
    } catch (OrtException | IOException | RuntimeException e) {
      session.close();
      throw e;
    }
  }

  private static void addCuda(SessionOptions session, int deviceId) throws OrtException {
    try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(deviceId)) {
      session.addCUDA(cuda);
    }
  }

  private static OrtTensorRTProviderOptions tensorRt(
      OrtEngineSettings settings, String modelName, OnnxSignature signature, int rowsPerImage)
      throws OrtException, IOException {
    Path engines = settings.cacheDir().resolve(modelName.replaceAll("[^A-Za-z0-9._-]", "_"));
    try {
      Files.createDirectories(engines);
    } catch (IOException e) {
      throw new IOException(
          "t2i.engine.cache-dir: cannot create "
              + engines
              + " for TensorRT's engine cache ("
              + e
              + "); point it at a writable directory (a volume, so that restarts reuse it)",
          e);
    }
    OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(settings.deviceId());
    try {
      trt.add("trt_engine_cache_enable", "1");
      trt.add("trt_engine_cache_path", engines.toString());
      trt.add("trt_timing_cache_enable", "1");
      trt.add("trt_timing_cache_path", settings.cacheDir().toString());
      trt.add("trt_fp16_enable", settings.fp16() ? "1" : "0");
      TensorRtProfile profile = settings.tensorRt();
      String min = profile.shapes(signature, rowsPerImage, TensorRtProfile.Bound.MIN);
      if (!min.isEmpty()) {
        trt.add("trt_profile_min_shapes", min);
        trt.add(
            "trt_profile_opt_shapes",
            profile.shapes(signature, rowsPerImage, TensorRtProfile.Bound.OPT));
        trt.add(
            "trt_profile_max_shapes",
            profile.shapes(signature, rowsPerImage, TensorRtProfile.Bound.MAX));
      }
      return trt;
    } catch (OrtException | RuntimeException e) {
      trt.close();
      throw e;
    }
  }
}
