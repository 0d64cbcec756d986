package t2i.diffusion.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.engine.TensorRtProfile;
import t2i.pipeline.model.OnnxSignature;
import t2i.pipeline.model.OnnxSignature.ElementType;
import t2i.pipeline.model.OnnxSignature.TensorSpec;

/**
 * A Stable Diffusion UNet: noisy latents, timestep and text embeddings in, predicted noise (or
 * velocity) out. Adapts to how the model was exported: float32 or float16 tensors, and a {@code
 * timestep} that is a scalar or a vector with one entry per sample, of an integer or float type.
 *
 * <p>On the CPU it can split a batch among several calls that run at once, each on its own thread
 * with an equal share of the intra-op threads. A small model keeps the cores busier that way than
 * with ONNX Runtime's intra-op threads on one call, whose many small operations leave them waiting
 * on each other. The calls share one session (one copy of the weights).
 *
 * <p>Not thread-safe: one caller at a time. Owns its model and the threads of its parallel calls.
 */
public final class Unet implements AutoCloseable {

  static final String SAMPLE = "sample";
  static final String TIMESTEP = "timestep";
  static final String CONTEXT = "encoder_hidden_states";
  static final String OUT_SAMPLE = "out_sample";

  /**
   * Fewest rows in each part of a split batch. A lone guided image (two rows) stays one call: end
   * to end beside the other services, one-row parts made its denoising slower, not faster (each
   * step waits for the later of two parts on shared cores), while batches gain from the split.
   */
  static final int MIN_ROWS_PER_SPLIT_CALL = 2;

  private final OnnxComponent component;
  private final TensorSpec sample;
  private final TensorSpec timestep;
  private final TensorSpec context;
  private final String output;
  private final int fixedBatch;
  private final Optional<TensorRtProfile> profile;
  private final List<InputBuffers> buffers;
  private final @Nullable ExecutorService helpers;

  private Unet(OnnxComponent component, Optional<TensorRtProfile> profile, int parallelCalls) {
    this.component = component;
    this.profile = profile;
    List<InputBuffers> perCall = new ArrayList<>(parallelCalls);
    for (int i = 0; i < parallelCalls; i++) {
      perCall.add(new InputBuffers(3));
    }
    this.buffers = List.copyOf(perCall);
    OnnxSignature signature = component.signature();
    Path file = component.file();
    this.sample = signature.requireInput(SAMPLE, file);
    this.timestep = signature.requireInput(TIMESTEP, file);
    this.context = signature.requireInput(CONTEXT, file);
    for (TensorSpec input : signature.inputs()) {
      if (!input.name().equals(SAMPLE)
          && !input.name().equals(TIMESTEP)
          && !input.name().equals(CONTEXT)) {
        throw new IllegalArgumentException(
            file
                + " needs input '"
                + input.name()
                + "'; a Stable Diffusion UNet takes sample, timestep and encoder_hidden_states"
                + " (SDXL-style added conditions are not supported)");
      }
    }
    if (timestep.rank() > 1) {
      throw new IllegalArgumentException(
          file + ": timestep must be a scalar or a vector, the model declares " + timestep);
    }
    this.output =
        signature.output(OUT_SAMPLE).isPresent()
            ? OUT_SAMPLE
            : signature.outputs().getFirst().name();
    this.fixedBatch = sample.fixedBatchSize();
    // The caller runs the first part of a split batch itself; each helper one other part. At most
    // one task per helper is ever queued: predict() waits for them all before it returns.
    this.helpers =
        parallelCalls == 1
            ? null
            : new ThreadPoolExecutor(
                parallelCalls - 1,
                parallelCalls - 1,
                0,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(parallelCalls - 1),
                Thread.ofPlatform().name("unet-call-", 1).daemon(true).factory());
  }

  public static Unet load(Path file, String modelName, EngineSettings engine) throws IOException {
    return load(file, modelName, engine, 1);
  }

  /**
   * Loads the UNet, ready to split each batch into up to {@code parallelCalls} calls.
   *
   * @param parallelCalls how many calls a batch may be split into, to run at once; more than one
   *     only on ONNX Runtime's CPU provider. Unless the engine sets its intra-op threads, each call
   *     gets an equal share of the cores.
   * @throws IllegalArgumentException for more than one call on a GPU
   */
  public static Unet load(Path file, String modelName, EngineSettings engine, int parallelCalls)
      throws IOException {
    if (parallelCalls < 1) {
      throw new IllegalArgumentException("parallelCalls must be >= 1, was " + parallelCalls);
    }
    if (parallelCalls > 1 && !engine.runsOnCpu()) {
      throw new IllegalArgumentException(
          "parallel UNet calls apply to ONNX Runtime on the CPU; "
              + engine.describe()
              + " runs one call at a time");
    }
    OnnxComponent component =
        OnnxComponent.load(
            file, modelName + "-unet", engine.withCoresSharedBy(parallelCalls), 2, parallelCalls);
    try {
      return new Unet(component, engine.profile(), parallelCalls);
    } catch (RuntimeException e) {
      component.close();
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * Whether one call can carry samples at different timesteps: the model takes a timestep vector
   * whose length follows the batch.
   */
  public boolean acceptsPerSampleTimesteps() {
    return timestep.rank() == 1
        && !(timestep.shape().getFirst().isFixed() && timestep.shape().getFirst().size() == 1);
  }

  /** The declared type of the timestep input, e.g. INT64 or FLOAT. */
  public ElementType timestepType() {
    return timestep.type();
  }

  /**
   * Checks that the model can take latents of this size and text embeddings of this length (a
   * static-shape export takes only one size; TensorRT's engines the sizes of their profile).
   *
   * @throws IllegalArgumentException naming the size the model takes
   */
  public void requireShapes(int latentHeight, int latentWidth, int sequence, int hidden) {
    String name = "the UNet " + component.file();
    profile.ifPresent(p -> p.requireSize(8 * latentWidth, 8 * latentHeight));
    Batches.requireDimension(sample, 2, latentHeight, "latent height", name);
    Batches.requireDimension(sample, 3, latentWidth, "latent width", name);
    Batches.requireDimension(context, 1, sequence, "text embeddings of length", name);
    Batches.requireDimension(context, 2, hidden, "text embeddings of width", name);
  }

  /**
   * Runs the model on a batch (in several calls when the model takes a fixed batch size).
   *
   * @param latents {@code [batch, channels, height, width]} row-major
   * @param timesteps one per sample; all equal unless {@link #acceptsPerSampleTimesteps()}
   * @param context {@code [batch, sequence, hidden]} row-major
   * @return the model output, shaped like {@code latents}
   */
  public float[] predict(
      float[] latents,
      int batch,
      int channels,
      int height,
      int width,
      double[] timesteps,
      float[] context,
      int sequence,
      int hidden) {
    if (timesteps.length != batch) {
      throw new IllegalArgumentException(
          "need one timestep per sample: "
              + batch
              + " samples, "
              + timesteps.length
              + " timesteps");
    }
    Rows rows =
        new Rows(latents, batch, channels, height, width, timesteps, context, sequence, hidden);
    int calls = callsFor(batch);
    if (calls > 1) {
      return runSplit(calls, rows);
    }
    if (fixedBatch == 0 || fixedBatch == batch) {
      return run(0, rows);
    }
    float[] result = new float[latents.length];
    for (int from = 0; from < batch; from += fixedBatch) {
      int count = Math.min(fixedBatch, batch - from);
      rows.copyOutput(run(0, rows.slice(from, count, fixedBatch)), from, count, result);
    }
    return result;
  }

  /** Into how many calls that run at once a batch of {@code rows} rows is split. */
  int callsFor(int rows) {
    // A static-shape export would pad every part to its batch size: it is never split.
    return fixedBatch == 0
        ? Math.max(1, Math.min(buffers.size(), rows / MIN_ROWS_PER_SPLIT_CALL))
        : 1;
  }

  /** A call's inputs, row-major with {@code batch} rows. */
  // Carries the arrays between this class's methods; never compared or kept.
  @SuppressWarnings("ArrayRecordComponent")
  private record Rows(
      float[] latents,
      int batch,
      int channels,
      int height,
      int width,
      double[] timesteps,
      float[] context,
      int sequence,
      int hidden) {

    int latentSize() {
      return channels * height * width;
    }

    /** Rows {@code [from, from + count)}, padded to {@code size} rows by repeating the first. */
    Rows slice(int from, int count, int size) {
      return new Rows(
          Batches.slice(latents, latentSize(), from, count, size),
          size,
          channels,
          height,
          width,
          Batches.slice(timesteps, from, count, size),
          Batches.slice(context, sequence * hidden, from, count, size),
          sequence,
          hidden);
    }

    /** Copies the first {@code count} rows of a slice's output to rows {@code from...} of all. */
    void copyOutput(float[] sliceOutput, int from, int count, float[] all) {
      System.arraycopy(sliceOutput, 0, all, from * latentSize(), count * latentSize());
    }
  }

  /**
   * Splits the batch into {@code calls} parts of consecutive rows, runs them at once (the first on
   * this thread), and joins their outputs in order. Rows do not interact in a UNet, so each row's
   * output is what a single call would give it.
   */
  private float[] runSplit(int calls, Rows rows) {
    float[] result = new float[rows.latents().length];
    List<Future<?>> others = new ArrayList<>(calls - 1);
    RuntimeException failure = null;
    try {
      for (int call = calls - 1; call >= 0; call--) {
        int lane = call;
        int from = call * rows.batch() / calls;
        int count = (call + 1) * rows.batch() / calls - from;
        Runnable part =
            () -> rows.copyOutput(run(lane, rows.slice(from, count, count)), from, count, result);
        if (call == 0) {
          part.run();
        } else {
          others.add(Objects.requireNonNull(helpers).submit(part));
        }
      }
    } catch (RuntimeException e) {
      failure = e;
    }
    // Every part ends before this returns, even when one failed: the next call reuses the buffers.
    for (Future<?> other : others) {
      RuntimeException failed = awaitPart(other);
      if (failure == null) {
        failure = failed;
      }
    }
    if (failure != null) {
      throw failure;
    }
    return result;
  }

  /** Waits for a part, through interrupts (re-asserted after); returns how it failed, if it did. */
  private static @Nullable RuntimeException awaitPart(Future<?> part) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          part.get();
          return null;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          return e.getCause() instanceof RuntimeException runtime
              ? runtime
              : new IllegalStateException("a parallel UNet call failed", e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private float[] run(int lane, Rows rows) {
    InputBuffers buffers = this.buffers.get(lane);
    try (NDManager manager = component.newCallManager()) {
      NDList out =
          component.run(
              lane,
              Map.of(
                  SAMPLE,
                  Tensors.floats(
                      manager,
                      buffers,
                      0,
                      rows.latents(),
                      new Shape(rows.batch(), rows.channels(), rows.height(), rows.width()),
                      sample.type(),
                      SAMPLE),
                  TIMESTEP,
                  timestepTensor(manager, buffers, rows.timesteps()),
                  CONTEXT,
                  Tensors.floats(
                      manager,
                      buffers,
                      1,
                      rows.context(),
                      new Shape(rows.batch(), rows.sequence(), rows.hidden()),
                      context.type(),
                      CONTEXT)));
      float[] result = Tensors.toFloats(out.get(output));
      if (result.length != rows.latents().length) {
        throw new IllegalStateException(
            component.file()
                + " returned "
                + result.length
                + " values for "
                + rows.latents().length);
      }
      return result;
    }
  }

  private NDArray timestepTensor(NDManager manager, InputBuffers buffers, double[] timesteps) {
    boolean vector = timestep.rank() == 1;
    int n = vector && acceptsPerSampleTimesteps() ? timesteps.length : 1;
    if (n == 1) {
      for (double t : timesteps) {
        if (t != timesteps[0]) {
          throw new IllegalArgumentException(
              component.file() + " takes one timestep per call; samples must share it");
        }
      }
    }
    Shape shape = vector ? new Shape(n) : new Shape();
    NDArray array =
        switch (timestep.type()) {
          case INT64 -> {
            long[] values = new long[n];
            for (int i = 0; i < n; i++) {
              values[i] = Math.round(timesteps[i]);
            }
            yield manager.create(values, shape);
          }
          case INT32 -> {
            int[] values = new int[n];
            for (int i = 0; i < n; i++) {
              values[i] = (int) Math.round(timesteps[i]);
            }
            yield manager.create(values, shape);
          }
          case FLOAT, FLOAT16 -> {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
              values[i] = (float) timesteps[i];
            }
            yield Tensors.floats(manager, buffers, 2, values, shape, timestep.type(), TIMESTEP);
          }
          case DOUBLE -> {
            ByteBuffer values = ByteBuffer.allocateDirect(n * 8).order(ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
              values.putDouble(timesteps[i]);
            }
            values.rewind();
            yield manager.create(values, shape, DataType.FLOAT64);
          }
          default ->
              throw new IllegalArgumentException(
                  component.file() + ": unsupported timestep type " + timestep.type());
        };
    array.setName(TIMESTEP);
    return array;
  }

  /** Time spent inside the engine's calls so far, in nanoseconds (for overhead measurements). */
  public long engineNanos() {
    return component.engineNanos();
  }

  @Override
  public void close() {
    try {
      if (helpers != null) {
        helpers.shutdownNow();
      }
    } finally {
      component.close();
    }
  }
}
