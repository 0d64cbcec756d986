package t2i.pipeline.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The names, element types and shapes of an ONNX model's graph inputs and outputs, read straight
 * from the file so that loaders adapt to how a model was exported (e.g. {@code input_ids} as int32
 * or int64, a UNet {@code timestep} as a float scalar or an int64 vector) whatever engine runs it.
 *
 * <p>Reads only the graph's declarations: weights are skipped, never loaded, so this is cheap even
 * for multi-gigabyte files.
 */
public record OnnxSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {

  /** ONNX TensorProto.DataType, for the types a diffusion model uses. */
  public enum ElementType {
    FLOAT(1),
    UINT8(2),
    INT8(3),
    INT32(6),
    INT64(7),
    BOOL(9),
    FLOAT16(10),
    DOUBLE(11),
    BFLOAT16(16),
    OTHER(-1);

    private final int code;

    ElementType(int code) {
      this.code = code;
    }

    static ElementType of(int code) {
      for (ElementType t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return OTHER;
    }
  }

  /** One dimension: a fixed size, or a named symbolic size (or unknown, {@code size < 0}). */
  public record Dim(long size, String symbol) {
    public boolean isFixed() {
      return size >= 0;
    }

    @Override
    public String toString() {
      return isFixed() ? Long.toString(size) : (symbol.isEmpty() ? "?" : symbol);
    }
  }

  public record TensorSpec(String name, ElementType type, List<Dim> shape) {
    public TensorSpec {
      shape = List.copyOf(shape);
    }

    public int rank() {
      return shape.size();
    }

    /**
     * The batch size a static-shape export fixes (what a TensorRT engine built from ONNX needs), or
     * 0 when the first dimension is free.
     */
    public int fixedBatchSize() {
      return rank() > 0 && shape.getFirst().isFixed() ? (int) shape.getFirst().size() : 0;
    }

    @Override
    public String toString() {
      return name + ":" + type + shape;
    }
  }

  public OnnxSignature {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  public Optional<TensorSpec> input(String name) {
    return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  public Optional<TensorSpec> output(String name) {
    return outputs.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  /** The input with this name, or an exception saying which inputs the model does have. */
  public TensorSpec requireInput(String name, Path model) {
    return input(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    model + " has no input named '" + name + "'; its inputs are " + inputs));
  }

  public TensorSpec requireOutput(String name, Path model) {
    return output(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    model + " has no output named '" + name + "'; its outputs are " + outputs));
  }

  // Field numbers from onnx.proto.
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_INPUT = 11;
  private static final int GRAPH_OUTPUT = 12;
  private static final int TENSOR_NAME = 8;
  private static final int VALUE_INFO_NAME = 1;
  private static final int VALUE_INFO_TYPE = 2;
  private static final int TYPE_TENSOR = 1;
  private static final int TENSOR_TYPE_ELEM = 1;
  private static final int TENSOR_TYPE_SHAPE = 2;
  private static final int SHAPE_DIM = 1;
  private static final int DIM_VALUE = 1;
  private static final int DIM_PARAM = 2;

  public static OnnxSignature read(Path onnxFile) throws IOException {
    if (!Files.isRegularFile(onnxFile)) {
      throw new IOException("ONNX model not found: " + onnxFile);
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(onnxFile), 1 << 16)) {
      CodedInputStream model = CodedInputStream.newInstance(in);
      model.setSizeLimit(Integer.MAX_VALUE);
      while (true) {
        int tag = model.readTag();
        if (tag == 0) {
          throw new IOException(onnxFile + " is not an ONNX model: it has no graph");
        }
        if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH
            && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          int length = model.readRawVarint32();
          int limit = model.pushLimit(length);
          OnnxSignature signature = readGraph(model);
          model.popLimit(limit);
          return signature;
        }
        model.skipField(tag);
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IOException(onnxFile + " is not a readable ONNX model: " + e.getMessage(), e);
    }
  }

  private static OnnxSignature readGraph(CodedInputStream in) throws IOException {
    List<TensorSpec> inputs = new ArrayList<>();
    List<TensorSpec> outputs = new ArrayList<>();
    Set<String> initializers = new HashSet<>();
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      int field = WireFormat.getTagFieldNumber(tag);
      switch (field) {
        case GRAPH_INPUT -> inputs.add(readNested(in, OnnxSignature::readValueInfo));
        case GRAPH_OUTPUT -> outputs.add(readNested(in, OnnxSignature::readValueInfo));
        case GRAPH_INITIALIZER -> initializers.add(readNested(in, OnnxSignature::readTensorName));
        default -> in.skipField(tag);
      }
    }
    // Models of IR version < 4 also list their weights as graph inputs.
    inputs.removeIf(t -> initializers.contains(t.name()));
    return new OnnxSignature(inputs, outputs);
  }

  private interface NestedReader<T> {
    T read(CodedInputStream in) throws IOException;
  }

  private static <T> T readNested(CodedInputStream in, NestedReader<T> reader) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    T value = reader.read(in);
    // Skip whatever the reader did not consume.
    while (!in.isAtEnd()) {
      in.skipField(in.readTag());
    }
    in.popLimit(limit);
    return value;
  }

  private static String readTensorName(CodedInputStream in) throws IOException {
    String name = "";
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (WireFormat.getTagFieldNumber(tag) == TENSOR_NAME) {
        name = in.readString();
      } else {
        in.skipField(tag);
      }
    }
    return name;
  }

  private static TensorSpec readValueInfo(CodedInputStream in) throws IOException {
    String name = "";
    TensorSpec typed = new TensorSpec("", ElementType.OTHER, List.of());
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case VALUE_INFO_NAME -> name = in.readString();
        case VALUE_INFO_TYPE -> typed = readNested(in, OnnxSignature::readType);
        default -> in.skipField(tag);
      }
    }
    return new TensorSpec(name, typed.type(), typed.shape());
  }

  private static TensorSpec readType(CodedInputStream in) throws IOException {
    TensorSpec result = new TensorSpec("", ElementType.OTHER, List.of());
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (WireFormat.getTagFieldNumber(tag) == TYPE_TENSOR) {
        result = readNested(in, OnnxSignature::readTensorType);
      } else {
        in.skipField(tag);
      }
    }
    return result;
  }

  private static TensorSpec readTensorType(CodedInputStream in) throws IOException {
    ElementType type = ElementType.OTHER;
    List<Dim> shape = List.of();
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case TENSOR_TYPE_ELEM -> type = ElementType.of(in.readInt32());
        case TENSOR_TYPE_SHAPE -> shape = readNested(in, OnnxSignature::readShape);
        default -> in.skipField(tag);
      }
    }
    return new TensorSpec("", type, shape);
  }

  private static List<Dim> readShape(CodedInputStream in) throws IOException {
    List<Dim> dims = new ArrayList<>();
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (WireFormat.getTagFieldNumber(tag) == SHAPE_DIM) {
        dims.add(readNested(in, OnnxSignature::readDim));
      } else {
        in.skipField(tag);
      }
    }
    return dims;
  }

  private static Dim readDim(CodedInputStream in) throws IOException {
    long size = -1;
    String symbol = "";
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case DIM_VALUE -> size = in.readInt64();
        case DIM_PARAM -> symbol = in.readString();
        default -> in.skipField(tag);
      }
    }
    return new Dim(size, symbol);
  }
}
