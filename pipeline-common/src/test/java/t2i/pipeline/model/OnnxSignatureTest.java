package t2i.pipeline.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import t2i.pipeline.TestModels;
import t2i.pipeline.model.OnnxSignature.ElementType;
import t2i.pipeline.model.OnnxSignature.TensorSpec;

class OnnxSignatureTest {

  @Test
  void textEncoder_declaresInt32InputIdsOfWindow77() throws IOException {
    OnnxSignature signature =
        OnnxSignature.read(TestModels.tinyRandom().resolve("text_encoder/model.onnx"));

    TensorSpec ids = signature.input("input_ids").orElseThrow();
    assertThat(ids.type()).isEqualTo(ElementType.INT32);
    assertThat(ids.rank()).isEqualTo(2);
    assertThat(ids.shape().get(0).isFixed()).isFalse();
    assertThat(ids.shape().get(1).size()).isEqualTo(77);
    assertThat(signature.outputs())
        .extracting(TensorSpec::name)
        .contains("last_hidden_state", "pooler_output");
  }

  @Test
  void int64Variant_declaresInt64InputIds() throws IOException {
    OnnxSignature signature = OnnxSignature.read(TestModels.variant("text_encoder_int64"));

    assertThat(signature.input("input_ids").orElseThrow().type()).isEqualTo(ElementType.INT64);
  }

  @Test
  void unet_declaresInt64TimestepVector() throws IOException {
    OnnxSignature signature =
        OnnxSignature.read(TestModels.tinyRandom().resolve("unet/model.onnx"));

    assertThat(signature.inputs())
        .extracting(TensorSpec::name)
        .containsExactlyInAnyOrder("sample", "timestep", "encoder_hidden_states");
    TensorSpec timestep = signature.input("timestep").orElseThrow();
    assertThat(timestep.type()).isEqualTo(ElementType.INT64);
    assertThat(timestep.rank()).isEqualTo(1);
    assertThat(signature.input("sample").orElseThrow().type()).isEqualTo(ElementType.FLOAT);
  }

  @Test
  void floatTimestepVariant_declaresFloatScalar() throws IOException {
    TensorSpec timestep =
        OnnxSignature.read(TestModels.variant("unet_float_timestep"))
            .input("timestep")
            .orElseThrow();

    assertThat(timestep.type()).isEqualTo(ElementType.FLOAT);
    assertThat(timestep.rank()).isZero();
  }

  @Test
  void requireInput_missingName_listsTheModelsInputs() throws IOException {
    Path file = TestModels.tinyRandom().resolve("vae_decoder/model.onnx");
    OnnxSignature signature = OnnxSignature.read(file);

    assertThatThrownBy(() -> signature.requireInput("latents", file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no input named 'latents'")
        .hasMessageContaining("latent_sample");
  }

  @Test
  void read_notAnOnnxFile_failsWithThePath(@TempDir Path dir) throws IOException {
    Path text = Files.writeString(dir.resolve("model.onnx"), "this is not a model");

    assertThatThrownBy(() -> OnnxSignature.read(text))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(text.toString());
  }

  @Test
  void read_missingFile_failsWithThePath(@TempDir Path dir) {
    assertThatThrownBy(() -> OnnxSignature.read(dir.resolve("absent.onnx")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("absent.onnx");
  }
}
