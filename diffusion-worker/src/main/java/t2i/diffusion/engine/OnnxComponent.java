package t2i.diffusion.engine;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import t2i.pipeline.model.OnnxSignature;

/**
 * One ONNX model of a pipeline (UNet, VAE decoder) loaded in the configured engine, with its
 * declared signature, and one or more predictors of it. Each predictor serves one thread at a time;
 * calls on different predictors may run at once, sharing the model's weights. Owns the model and
 * the predictors.
 */
final class OnnxComponent implements AutoCloseable {

  private final Path file;
  private final OnnxSignature signature;
  private final Model model;
  private final List<Predictor<NDList, NDList>> predictors;
  private final List<AutoCloseable> engineOptions;
  private final LongAdder engineNanos = new LongAdder();

  private OnnxComponent(
      Path file,
      OnnxSignature signature,
      Model model,
      List<Predictor<NDList, NDList>> predictors,
      List<AutoCloseable> engineOptions) {
    this.file = file;
    this.signature = signature;
    this.model = model;
    this.predictors = predictors;
    this.engineOptions = engineOptions;
  }

  /**
   * @param rowsPerImage batch rows per image in this model's calls (2 for a UNet with guidance)
   */
  static OnnxComponent load(Path file, String name, EngineSettings engine, int rowsPerImage)
      throws IOException {
    return load(file, name, engine, rowsPerImage, 1);
  }

  /**
   * @param rowsPerImage batch rows per image in this model's calls (2 for a UNet with guidance)
   * @param predictors how many calls may run at once, one per predictor
   */
  static OnnxComponent load(
      Path file, String name, EngineSettings engine, int rowsPerImage, int predictors)
      throws IOException {
    OnnxSignature signature = OnnxSignature.read(file);
    Map<String, Object> options;
    try {
      options = engine.options(name, signature, rowsPerImage);
    } catch (OrtException e) {
      throw new IOException("Cannot configure ONNX Runtime for " + file + ": " + e, e);
    }
    List<AutoCloseable> closeables =
        options.values().stream()
            .filter(AutoCloseable.class::isInstance)
            .map(AutoCloseable.class::cast)
            .toList();
    Model model = Model.newInstance(name, engine.device(), engine.engine().djlName());
    try {
      model.load(engine.engineFile(file), null, options);
      List<Predictor<NDList, NDList>> created = new ArrayList<>(predictors);
      for (int i = 0; i < predictors; i++) {
        created.add(model.newPredictor(new NoopTranslator()));
      }
      return new OnnxComponent(file, signature, model, List.copyOf(created), closeables);
    } catch (MalformedModelException | RuntimeException e) {
      model.close();
      closeAll(closeables);
      throw new IOException("Cannot load " + file + " with " + engine.engine() + ": " + e, e);
    }
  }

  private static void closeAll(List<AutoCloseable> closeables) {
    for (AutoCloseable closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        // Engine options hold native memory only; nothing else can be done about a failure.
      }
    }
  }

  Path file() {
    return file;
  }

  OnnxSignature signature() {
    return signature;
  }

  /** A manager for one call's tensors; closing it frees inputs and outputs. */
  NDManager newCallManager() {
    return model.getNDManager().newSubManager();
  }

  /**
   * Runs the model on named inputs, passed in the order the model declares them: some engines
   * (TensorRT) bind inputs by position.
   */
  NDList run(Map<String, NDArray> named) {
    return run(0, named);
  }

  /** {@link #run(Map)} on predictor {@code predictor}, which no other thread may be using. */
  NDList run(int predictor, Map<String, NDArray> named) {
    NDList inputs = new NDList(named.size());
    for (OnnxSignature.TensorSpec input : signature.inputs()) {
      NDArray array = named.get(input.name());
      if (array == null) {
        throw new IllegalArgumentException(file + " needs input " + input.name());
      }
      inputs.add(array);
    }
    return run(predictor, inputs);
  }

  NDList run(NDList inputs) {
    return run(0, inputs);
  }

  private NDList run(int predictor, NDList inputs) {
    long start = System.nanoTime();
    try {
      return predictors.get(predictor).predict(inputs);
    } catch (TranslateException e) {
      throw new IllegalStateException(file + " failed: " + e.getMessage(), e);
    } finally {
      engineNanos.add(System.nanoTime() - start);
    }
  }

  /**
   * Time spent inside the engine (the predictor calls) so far, in nanoseconds; calls that ran at
   * once each count.
   */
  long engineNanos() {
    return engineNanos.sum();
  }

  @Override
  public void close() {
    try {
      predictors.forEach(Predictor::close);
    } finally {
      try {
        model.close();
      } finally {
        closeAll(engineOptions);
      }
    }
  }
}
