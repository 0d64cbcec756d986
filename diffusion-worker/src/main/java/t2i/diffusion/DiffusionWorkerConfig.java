package t2i.diffusion;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.ModelSettings;
import t2i.pipeline.config.RedisSettings;

/** Configuration of the diffusion worker, under {@code t2i.*}. */
@ConfigMapping(prefix = "t2i")
public interface DiffusionWorkerConfig {

  KafkaSettings kafka();

  RedisSettings redis();

  ModelSettings models();

  Diffusion diffusion();

  Engine engine();

  interface Diffusion {
    /** Kafka consumers (threads) in this process. */
    @WithDefault("1")
    int consumers();

    /** Jobs taken from Kafka and not yet finished, per consumer. */
    @WithDefault("4")
    int maxInFlight();

    /** Least time between two progress events of one job; the last step is always reported. */
    @WithDefault("PT0.25S")
    Duration progressInterval();
  }

  /** Which inference engine runs the ONNX models. */
  interface Engine {
    /** {@code OnnxRuntime} (CPU) or {@code TensorRT} (NVIDIA GPU). */
    @WithDefault("OnnxRuntime")
    String name();

    /** ONNX Runtime intra-op threads per model; 0 means one per available core. */
    @WithDefault("0")
    int intraOpThreads();
  }
}
