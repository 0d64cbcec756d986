package t2i.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.model.OnnxSignature;
import t2i.pipeline.model.OnnxSignature.ElementType;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.tensor.FloatTensor;

/** The text encoder loader and runner on the tiny random model and its export variants. */
class TextEncoderTest {

  private static final EngineName ENGINE = EngineName.OnnxRuntime;

  /** float32 results of the same graph in ONNX Runtime and torch differ in the last few bits. */
  private static final float TORCH_TOLERANCE = 1e-4f;

  private static JsonNode reference;
  private static TextEncoder int32Encoder;

  @BeforeAll
  static void load() throws IOException {
    InferenceDefaults.apply();
    reference = TinyRandom.reference();
    int32Encoder = TextEncoder.load(TinyRandom.textEncoder(), "tiny-random", ENGINE, 1, 1);
  }

  @AfterAll
  static void close() {
    if (int32Encoder != null) {
      int32Encoder.close();
    }
  }

  @Test
  void int64InputIdsVariant_givesTheSameHiddenStatesAsTheInt32Model() throws Exception {
    Path int64File = TinyRandom.variant("text_encoder_int64");
    // The two files differ only in the type of input_ids, which the loader must read from them.
    assertThat(OnnxSignature.read(TinyRandom.textEncoder()).input("input_ids").get().type())
        .isEqualTo(ElementType.INT32);
    assertThat(OnnxSignature.read(int64File).input("input_ids").get().type())
        .isEqualTo(ElementType.INT64);
    int[] ids = TinyRandom.referenceIds(reference);

    try (TextEncoder int64Encoder = TextEncoder.load(int64File, "tiny-random", ENGINE, 1, 1)) {
      FloatTensor fromInt64 = int64Encoder.encode(ids, TinyRandom.WINDOW);
      FloatTensor fromInt32 = int32Encoder.encode(ids, TinyRandom.WINDOW);

      assertThat(fromInt64.shape()).containsExactly(2 * TinyRandom.WINDOW, TinyRandom.HIDDEN);
      assertThat(fromInt64.data()).containsExactly(fromInt32.data(), within(1e-6f));
    }
  }

  @Test
  void float16Export_hiddenStatesAreReadFromHalfPrecision() throws Exception {
    int[] ids = TinyRandom.referenceIds(reference);

    try (TextEncoder half =
        TextEncoder.load(TinyRandom.variant("fp16_io/text_encoder"), "tiny-random", ENGINE, 1, 1)) {
      float[] full = int32Encoder.encode(ids, TinyRandom.WINDOW).data();
      float[] fromHalf = half.encode(ids, TinyRandom.WINDOW).data();

      assertThat(half.hiddenSize()).isEqualTo(TinyRandom.HIDDEN);
      for (int i = 0; i < full.length; i++) {
        assertThat(fromHalf[i]).isCloseTo(full[i], within(2e-3f + Math.abs(full[i]) * 2e-3f));
      }
    }
  }

  @Test
  void staticShapeExport_encodesAnyNumberOfWindowsInFixedBatches() throws Exception {
    int[] two = TinyRandom.referenceIds(reference);
    int[] five = new int[5 * TinyRandom.WINDOW];
    for (int w = 0; w < 5; w++) {
      System.arraycopy(
          two, (w % 2) * TinyRandom.WINDOW, five, w * TinyRandom.WINDOW, TinyRandom.WINDOW);
    }

    try (TextEncoder fixed =
        TextEncoder.load(
            TinyRandom.variant("static_batch4/text_encoder"), "tiny-random", ENGINE, 1, 1)) {
      assertThat(fixed.encode(five, TinyRandom.WINDOW).data())
          .containsExactly(int32Encoder.encode(five, TinyRandom.WINDOW).data(), within(1e-5f));
    }
  }

  @Test
  void hiddenStates_matchTheTorchReference() throws Exception {
    assertThat(reference.has("last_hidden_state")).isTrue();
    float[] expected = TinyRandom.floats(reference.get("last_hidden_state"));

    FloatTensor hidden = int32Encoder.encode(TinyRandom.referenceIds(reference), TinyRandom.WINDOW);

    assertThat(hidden.shape()).containsExactly(2 * TinyRandom.WINDOW, TinyRandom.HIDDEN);
    assertThat(hidden.data()).containsExactly(expected, within(TORCH_TOLERANCE));
  }

  @Test
  void eachWindowIsEncodedOnItsOwn() throws Exception {
    int[] ids = TinyRandom.referenceIds(reference);
    int[] second = Arrays.copyOfRange(ids, TinyRandom.WINDOW, ids.length);

    float[] both = int32Encoder.encode(ids, TinyRandom.WINDOW).data();
    float[] alone = int32Encoder.encode(second, TinyRandom.WINDOW).data();

    float[] secondOfBoth =
        Arrays.copyOfRange(both, TinyRandom.WINDOW * TinyRandom.HIDDEN, both.length);
    assertThat(secondOfBoth).containsExactly(alone, within(1e-6f));
  }

  @Test
  void hiddenSize_isLearnedFromTheModel() {
    assertThat(int32Encoder.hiddenSize()).isEqualTo(TinyRandom.HIDDEN);
  }

  @Test
  void runs_countEachEncodeButNotTheWarmUp() throws Exception {
    try (TextEncoder encoder =
        TextEncoder.load(TinyRandom.textEncoder(), "tiny-random", ENGINE, 1, 1)) {
      assertThat(encoder.runs()).isZero();

      encoder.encode(new int[TinyRandom.WINDOW], TinyRandom.WINDOW);
      encoder.encode(new int[2 * TinyRandom.WINDOW], TinyRandom.WINDOW);

      assertThat(encoder.runs()).isEqualTo(2);
    }
  }

  @Test
  void idsThatAreNotWholeWindows_areRejected() {
    assertThatThrownBy(() -> int32Encoder.encode(new int[TinyRandom.WINDOW + 1], TinyRandom.WINDOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whole windows of 77");
  }

  @Test
  void modelWithoutInputIds_isRejectedNamingTheInputsItHas() {
    // A UNet takes sample, timestep and encoder_hidden_states: the wrong file for a text encoder.
    Path unet = TinyRandom.unet();

    assertThatThrownBy(() -> TextEncoder.load(unet, "tiny-random", ENGINE, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(unet.toString())
        .hasMessageContaining("no input named 'input_ids'")
        .hasMessageContaining("sample")
        .hasMessageContaining("encoder_hidden_states");
  }
}
