package t2i.pipeline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import t2i.pipeline.engine.TensorRtProfile.Bound;
import t2i.pipeline.model.OnnxSignature;
import t2i.pipeline.model.OnnxSignature.Dim;
import t2i.pipeline.model.OnnxSignature.ElementType;
import t2i.pipeline.model.OnnxSignature.TensorSpec;

class TensorRtProfileTest {

  private static final TensorRtProfile PROFILE = new TensorRtProfile(1, 2, 4, 256, 512, 768, 3);

  private static Dim free(String name) {
    return new Dim(-1, name);
  }

  private static Dim fixed(long size) {
    return new Dim(size, "");
  }

  private static OnnxSignature inputs(TensorSpec... specs) {
    return new OnnxSignature(List.of(specs), List.of());
  }

  /** A UNet as the usual Stable Diffusion exports declare it: batch, size and text length free. */
  private static final OnnxSignature UNET =
      inputs(
          new TensorSpec(
              "sample",
              ElementType.FLOAT,
              List.of(free("batch"), fixed(4), free("height"), free("width"))),
          new TensorSpec("timestep", ElementType.INT64, List.of(free("batch"))),
          new TensorSpec(
              "encoder_hidden_states",
              ElementType.FLOAT,
              List.of(free("batch"), free("sequence"), fixed(768))));

  @Test
  void aUnetsFreeDimensions_getBatchRowsLatentSidesAndTokenWindows() {
    assertThat(PROFILE.shapes(UNET, 2, Bound.MIN))
        .isEqualTo("sample:2x4x32x32,timestep:2,encoder_hidden_states:2x77x768");
    assertThat(PROFILE.shapes(UNET, 2, Bound.OPT))
        .isEqualTo("sample:4x4x64x64,timestep:4,encoder_hidden_states:4x77x768");
    assertThat(PROFILE.shapes(UNET, 2, Bound.MAX))
        .isEqualTo("sample:8x4x96x96,timestep:8,encoder_hidden_states:8x231x768");
  }

  @Test
  void aStaticShapeExport_needsNoProfile() {
    OnnxSignature fixedVae =
        inputs(
            new TensorSpec(
                "latent_sample",
                ElementType.FLOAT,
                List.of(fixed(1), fixed(4), fixed(64), fixed(64))));
    assertThat(PROFILE.shapes(fixedVae, 1, Bound.MAX)).isEmpty();
  }

  @Test
  void aFreeDimensionItCannotPlace_isRefusedNamingTheInput() {
    OnnxSignature odd =
        inputs(
            new TensorSpec(
                "extra",
                ElementType.FLOAT,
                List.of(fixed(1), fixed(2), fixed(3), fixed(4), free("mystery"))));
    assertThatThrownBy(() -> PROFILE.shapes(odd, 1, Bound.MIN))
        .hasMessageContaining("dimension 4 of input extra")
        .hasMessageContaining("export the model with that dimension fixed");
  }

  @Test
  void sizesOutsideTheProfile_areRefusedWithTheSizesTaken() {
    assertThatCode(() -> PROFILE.requireSize(256, 768)).doesNotThrowAnyException();
    assertThatThrownBy(() -> PROFILE.requireSize(1024, 512))
        .hasMessageContaining("256 to 768 px a side")
        .hasMessageContaining("t2i.engine.tensorrt.min-size and max-size")
        .hasMessageContaining("not 1024x512");
    assertThatThrownBy(() -> PROFILE.requireSize(512, 128)).hasMessageContaining("not 512x128");
  }

  @Test
  void aProfileOutOfOrder_isRefused() {
    assertThatThrownBy(() -> new TensorRtProfile(2, 1, 4, 256, 512, 768, 3))
        .hasMessageContaining("min-batch <= opt-batch <= max-batch");
    assertThatThrownBy(() -> new TensorRtProfile(1, 1, 4, 512, 256, 768, 3))
        .hasMessageContaining("min-size <= opt-size <= max-size");
    assertThatThrownBy(() -> new TensorRtProfile(1, 1, 4, 256, 500, 768, 3))
        .hasMessageContaining("multiples of 8, was 500");
  }
}
