package t2i.encoder;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.ModelSettings;
import t2i.pipeline.config.RedisSettings;

/** Configuration of the encoder worker, under {@code t2i.*}. */
@ConfigMapping(prefix = "t2i")
public interface EncoderWorkerConfig {

  KafkaSettings kafka();

  RedisSettings redis();

  ModelSettings models();

  Encoder encoder();

  Engine engine();

  interface Encoder {
    /** Kafka consumers (threads) in this process. */
    @WithDefault("1")
    @Min(1)
    int consumers();

    /** Jobs each consumer works on at once. */
    @WithDefault("16")
    @Min(1)
    int maxInFlight();

    /** Threads running the text encoder, each with its own predictor. */
    @WithDefault("1")
    @Min(1)
    int threads();
  }

  /** Which inference engine runs the ONNX models. */
  interface Engine {
    /** {@code OnnxRuntime} (CPU) or {@code TensorRT} (NVIDIA GPU). */
    @WithDefault("OnnxRuntime")
    EngineName name();

    /** ONNX Runtime intra-op threads per predictor; 0 means one per available core. */
    @WithDefault("0")
    @Min(0)
    int intraOpThreads();
  }
}
