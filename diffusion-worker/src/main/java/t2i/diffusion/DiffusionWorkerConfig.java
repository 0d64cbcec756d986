package t2i.diffusion;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import t2i.pipeline.config.EngineConfig;
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

  EngineConfig engine();

  interface Diffusion {
    /** Kafka consumers (threads) in this process. */
    @WithDefault("1")
    @Min(1)
    int consumers();

    /**
     * Jobs taken from Kafka and not yet finished, per consumer: those denoising plus those waiting
     * to join the batch. Keep it above max-batch-rows so that the batch can stay full.
     */
    @WithDefault("16")
    @Min(1)
    int maxInFlight();

    /**
     * Most UNet rows per call: one per image, two with classifier-free guidance. Bigger batches use
     * the device better and need more memory.
     */
    @WithDefault("8")
    @Min(1)
    int maxBatchRows();

    /**
     * Into how many calls that run at once a UNet batch is split, on the CPU; each call gets an
     * equal share of the cores unless {@code t2i.engine.intra-op-threads} says otherwise. 0
     * (default): 2 on the CPU when the worker has at least 2 cores, else 1. A GPU runs one call at
     * a time.
     */
    @WithDefault("0")
    @Min(0)
    int parallelUnetCalls();

    /** How long, at most, an idle worker waits for more jobs to batch with a first one. */
    @WithDefault("PT0.02S")
    @DurationMin(millis = 0, message = "must not be negative, was ${validatedValue}")
    Duration batchWait();

    /**
     * How long an idle worker waits for each next companion: it stops waiting once none comes
     * within this gap (jobs of one poll arrive microseconds apart), so a lone job starts at once.
     */
    @WithDefault("PT0.002S")
    @DurationMin(millis = 0, message = "must not be negative, was ${validatedValue}")
    Duration batchGap();

    /** How often running jobs are checked for cancellation, between denoising steps. */
    @WithDefault("PT0.05S")
    @DurationMin(millis = 1, message = "must be at least 1ms, was ${validatedValue}")
    Duration cancelCheckInterval();

    /** Finished jobs waiting for the VAE decoder before the UNet loop waits for it. */
    @WithDefault("4")
    @Min(1)
    int decodeQueue();

    /** Least time between two progress events of one job; the last step is always reported. */
    @WithDefault("PT0.25S")
    @DurationMin(millis = 0, message = "must not be negative, was ${validatedValue}")
    Duration progressInterval();

    /**
     * Least time between two previews of one job that asked for them (GenerateRequest.previews):
     * each is a small PNG on the events topic, read by every gateway.
     */
    @WithDefault("PT0.5S")
    @DurationMin(millis = 0, message = "must not be negative, was ${validatedValue}")
    Duration previewInterval();
  }
}
