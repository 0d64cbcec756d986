package t2i.encoder;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.engine.OrtEngineSettings;
import t2i.pipeline.engine.OrtSessions;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.OnnxSignature;
import t2i.pipeline.model.OnnxSignature.ElementType;
import t2i.pipeline.model.OnnxSignature.TensorSpec;
import t2i.pipeline.tensor.FloatTensor;
import t2i.pipeline.tensor.HalfFloats;

/**
 * A model's CLIP text encoder: token id windows in, {@code last_hidden_state} out. The id type
 * (int32 or int64) is read from the model, since exports differ. Thread-safe: each call borrows one
 * of a fixed set of predictors (DJL predictors are not thread-safe). Owns the model and the
 * predictors.
 */
final class TextEncoder implements AutoCloseable {

  static final String INPUT_IDS = "input_ids";
  static final String HIDDEN_STATE = "last_hidden_state";
  private static final int WARM_UP_WINDOW = 77;

  private final Model model;
  private final List<Predictor<NDList, NDList>> predictors;
  private final BlockingQueue<Predictor<NDList, NDList>> idle;
  private final ElementType idType;

  /** Windows per call of a static-shape export; 0 when the model takes any number. */
  private final int fixedWindows;

  /** The engine's session options, closed with the encoder; null where the engine has none. */
  private final @Nullable AutoCloseable engineOptions;

  private final AtomicLong runs = new AtomicLong();
  private int hiddenSize;

  private TextEncoder(
      Model model,
      List<Predictor<NDList, NDList>> predictors,
      ElementType idType,
      int fixedWindows,
      @Nullable AutoCloseable engineOptions) {
    this.model = model;
    this.predictors = predictors;
    this.idle = new ArrayBlockingQueue<>(predictors.size(), false, predictors);
    this.idType = idType;
    this.fixedWindows = fixedWindows;
    this.engineOptions = engineOptions;
  }

  static TextEncoder load(
      ModelDirectory dir, EngineName engine, OrtEngineSettings ort, int predictors)
      throws IOException {
    return load(dir.textEncoder(), dir.name(), engine, ort, predictors);
  }

  /**
   * Loads one text encoder file.
   *
   * @param modelName the model it belongs to, for names and messages
   * @throws IOException if it cannot be loaded or its input ids are neither int32 nor int64
   * @throws IllegalArgumentException if it lacks {@code input_ids} or {@code last_hidden_state}
   */
  static TextEncoder load(
      Path onnxFile, String modelName, EngineName engine, int intraOpThreads, int predictors)
      throws IOException {
    return load(
        onnxFile, modelName, engine, OrtEngineSettings.cpu(intraOpThreads, false), predictors);
  }

  /**
   * Loads one text encoder file.
   *
   * @param ort where ONNX Runtime runs it, for the OnnxRuntime engine
   */
  static TextEncoder load(
      Path onnxFile, String modelName, EngineName engine, OrtEngineSettings ort, int predictors)
      throws IOException {
    OnnxSignature signature = OnnxSignature.read(onnxFile);
    TensorSpec ids = signature.requireInput(INPUT_IDS, onnxFile);
    signature.requireOutput(HIDDEN_STATE, onnxFile);
    if (ids.type() != ElementType.INT32 && ids.type() != ElementType.INT64) {
      throw new IOException(
          onnxFile + ": input_ids must be int32 or int64, the model declares " + ids.type());
    }
    for (TensorSpec input : signature.inputs()) {
      if (!input.name().equals(INPUT_IDS)) {
        throw new IOException(
            onnxFile
                + " needs input '"
                + input.name()
                + "', but a Stable Diffusion text encoder takes only input_ids");
      }
    }
    boolean onnxRuntime = engine == EngineName.OnnxRuntime;
    Model model =
        Model.newInstance(
            modelName + "-text-encoder",
            onnxRuntime ? Device.cpu() : Device.gpu(),
            engine.djlName());
    SessionOptions session = null;
    try {
      Map<String, Object> options = new HashMap<>();
      Path file = onnxFile;
      if (onnxRuntime) {
        // Prompt and negative prompt windows share a call.
        session = OrtSessions.options(ort, modelName + "-text-encoder", signature, 2);
        options.put("sessionOptions", session);
      } else if (Files.isRegularFile(onnxFile.resolveSibling("model.trt"))) {
        // A TensorRT engine serialized for this GPU loads in seconds instead of being rebuilt.
        file = onnxFile.resolveSibling("model.trt");
      }
      model.load(file, null, options);
      List<Predictor<NDList, NDList>> pool = new ArrayList<>();
      for (int i = 0; i < predictors; i++) {
        pool.add(model.newPredictor(new NoopTranslator()));
      }
      TextEncoder encoder = new TextEncoder(model, pool, ids.type(), ids.fixedBatchSize(), session);
      encoder.hiddenSize = encoder.warmUp();
      return encoder;
    } catch (MalformedModelException
        | TranslateException
        | OrtException
        | IOException
        | RuntimeException e) {
      model.close();
      if (session != null) {
        session.close();
      }
      throw new IOException("Cannot load the text encoder " + onnxFile + ": " + e, e);
    }
  }

  /**
   * Encodes windows of token ids, each {@code window} long, and returns their hidden states one
   * after another: shape {@code [windows * window, hidden]}.
   */
  FloatTensor encode(int[] ids, int window) throws InterruptedException, TranslateException {
    if (ids.length == 0 || ids.length % window != 0) {
      throw new IllegalArgumentException(
          "token ids must be whole windows of " + window + ", got " + ids.length);
    }
    int windows = ids.length / window;
    Predictor<NDList, NDList> predictor = idle.take();
    try {
      float[] hidden;
      if (fixedWindows == 0 || fixedWindows == windows) {
        hidden = run(predictor, ids, windows, window);
      } else {
        // A static-shape export takes exactly fixedWindows windows: run chunks of that many,
        // padding the last with copies of its first window, and keep only the real windows.
        hidden = new float[windows * window * hiddenSize];
        int perWindow = window * hiddenSize;
        for (int from = 0; from < windows; from += fixedWindows) {
          int count = Math.min(fixedWindows, windows - from);
          int[] chunk = new int[fixedWindows * window];
          for (int w = 0; w < fixedWindows; w++) {
            int source = from + (w < count ? w : 0);
            System.arraycopy(ids, source * window, chunk, w * window, window);
          }
          float[] out = run(predictor, chunk, fixedWindows, window);
          System.arraycopy(out, 0, hidden, from * perWindow, count * perWindow);
        }
      }
      runs.incrementAndGet();
      return new FloatTensor(
          new int[] {windows * window, hidden.length / (windows * window)}, hidden);
    } finally {
      idle.add(predictor);
    }
  }

  private float[] run(Predictor<NDList, NDList> predictor, int[] ids, int windows, int window)
      throws TranslateException {
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDList output = predictor.predict(new NDList(ids(manager, ids, windows)));
      NDArray hidden = output.get(HIDDEN_STATE);
      long[] dims = hidden.getShape().getShape();
      if (dims.length != 3 || dims[0] != windows || dims[1] != window) {
        throw new IllegalStateException(
            "text encoder returned last_hidden_state of shape "
                + hidden.getShape()
                + ", expected ("
                + windows
                + ", "
                + window
                + ", hidden)");
      }
      return toFloats(hidden);
    }
  }

  /**
   * Runs the model once on a window of id 0, so that a broken model fails at start-up rather than
   * on a user's job, and learns the hidden size. Not counted in {@link #runs()}.
   */
  private int warmUp() throws TranslateException {
    int windows = Math.max(1, fixedWindows);
    Predictor<NDList, NDList> predictor = idle.remove();
    try {
      float[] out = run(predictor, new int[windows * WARM_UP_WINDOW], windows, WARM_UP_WINDOW);
      return out.length / (windows * WARM_UP_WINDOW);
    } finally {
      idle.add(predictor);
    }
  }

  /** Width of each token's embedding. */
  int hiddenSize() {
    return hiddenSize;
  }

  /** How many times the model has run; cached prompts do not run it. */
  long runs() {
    return runs.get();
  }

  private NDArray ids(NDManager manager, int[] ids, int windows) {
    Shape shape = new Shape(windows, ids.length / windows);
    NDArray input;
    if (idType == ElementType.INT64) {
      long[] longs = new long[ids.length];
      for (int i = 0; i < ids.length; i++) {
        longs[i] = ids[i];
      }
      input = manager.create(longs, shape);
    } else {
      input = manager.create(ids, shape);
    }
    input.setName(INPUT_IDS);
    return input;
  }

  private static float[] toFloats(NDArray array) {
    if (array.getDataType() == DataType.FLOAT32) {
      return array.toFloatArray();
    }
    if (array.getDataType() == DataType.FLOAT16) {
      return HalfFloats.toFloats(
          array.toByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer());
    }
    throw new IllegalStateException("text encoder output type " + array.getDataType());
  }

  @Override
  public void close() {
    try {
      predictors.forEach(Predictor::close);
    } finally {
      try {
        model.close();
      } finally {
        if (engineOptions != null) {
          try {
            engineOptions.close();
          } catch (Exception e) {
            // Session options hold native memory only; nothing more can be done.
          }
        }
      }
    }
  }
}
