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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import t2i.pipeline.model.OnnxSignature;

/**
 * One ONNX model of a pipeline (UNet, VAE decoder) loaded in the configured engine, with its
 * declared signature. Not thread-safe: it holds a single predictor, and the diffusion loop drives
 * each component from one thread. Owns the model and the predictor.
 */
final class OnnxComponent implements AutoCloseable {

  private final Path file;
  private final OnnxSignature signature;
  private final Model model;
  private final Predictor<NDList, NDList> predictor;
  private final List<AutoCloseable> engineOptions;
  private final LongAdder engineNanos = new LongAdder();

  private OnnxComponent(
      Path file,
      OnnxSignature signature,
      Model model,
      Predictor<NDList, NDList> predictor,
      List<AutoCloseable> engineOptions) {
    this.file = file;
    this.signature = signature;
    this.model = model;
    this.predictor = predictor;
    this.engineOptions = engineOptions;
  }

  /**
   * @param rowsPerImage batch rows per image in this model's calls (2 for a UNet with guidance)
   */
  static OnnxComponent load(Path file, String name, EngineSettings engine, int rowsPerImage)
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
      return new OnnxComponent(
          file, signature, model, model.newPredictor(new NoopTranslator()), closeables);
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
    NDList inputs = new NDList(named.size());
    for (OnnxSignature.TensorSpec input : signature.inputs()) {
      NDArray array = named.get(input.name());
      if (array == null) {
        throw new IllegalArgumentException(file + " needs input " + input.name());
      }
      inputs.add(array);
    }
    return run(inputs);
  }

  NDList run(NDList inputs) {
    long start = System.nanoTime();
    try {
      return predictor.predict(inputs);
    } catch (TranslateException e) {
      throw new IllegalStateException(file + " failed: " + e.getMessage(), e);
    } finally {
      engineNanos.add(System.nanoTime() - start);
    }
  }

  /** Time spent inside the engine (the predictor call) so far, in nanoseconds. */
  long engineNanos() {
    return engineNanos.sum();
  }

  @Override
  public void close() {
    try {
      predictor.close();
    } finally {
      try {
        model.close();
      } finally {
        closeAll(engineOptions);
      }
    }
  }
}
