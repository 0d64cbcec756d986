package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import t2i.launcher.Service;
import t2i.launcher.ServiceProcess;

/**
 * A service given a bad configuration value refuses to start, and its log says which key, what it
 * was given and what is allowed: the packaged services, started as an operator starts them.
 */
class ConfigurationRefusalTest {

  private static final Path HOME = Path.of(System.getProperty("repo.root"));
  private static final Path LOGS = HOME.resolve("system-tests/target/configuration-refusal");
  private static final Duration START_LIMIT = Duration.ofSeconds(90);

  @ParameterizedTest(name = "{0}: {1}={2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "DIFFUSION | t2i.diffusion.max-batch-rows | 0        | must be at least 1, was 0 | true",
        "DIFFUSION | t2i.engine.name | Tensorrt | allowed values: onnx-runtime,tensor-rt | true",
        "ENCODER   | t2i.encoder.threads          | -2       | must be at least 1, was -2 | true",
        "ENCODER | t2i.encoder.cache-renewal-interval | PT48H | shorter than t2i.redis.embedding-retention (PT24H), was PT48H | true",
        "TOKENIZER | t2i.kafka.topic-partitions   | 0        | must be at least 1, was 0 | true",
        "GATEWAY | t2i.gateway.reconcile-interval | PT0.001S | must be at least 10ms, was PT0.001S | true",
        // A URL may hold a password: it is not repeated.
        "GATEWAY | t2i.redis.url | http://user:secret@cache:6379 | must be a URL that starts with redis:// | false",
      })
  void aBadValue_stopsTheServiceAtStart_namingTheKeyTheValueAndWhatIsAllowed(
      Service service, String key, String value, String explanation, boolean valueShown)
      throws Exception {
    String log =
        logOfEndedStart(
            service, service.module() + "-" + key.replace('.', '-'), Map.of(key, value));

    assertThat(log)
        .contains("Configuration validation failed")
        .contains(key)
        .contains(explanation)
        .doesNotContain(") started in ");
    if (valueShown) {
      assertThat(log).contains(value);
    } else {
      assertThat(log).doesNotContain(value);
    }
  }

  /**
   * A worker set to run its models on a GPU that this build cannot drive refuses to start and says
   * what to change, instead of running on the CPU.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Service.class,
      names = {"ENCODER", "DIFFUSION"})
  void aWorkerSetToAGpu_withTheCpuBuild_refusesToStart_namingTheGpuBuild(Service service)
      throws Exception {
    String log =
        logOfEndedStart(
            service, service.module() + "-cuda", Map.of("t2i.engine.execution-provider", "CUDA"));

    assertThat(log)
        .contains("t2i.engine.execution-provider=CUDA")
        .contains("onnxruntime_gpu")
        .doesNotContain(") started in ");
  }

  /** Parallel UNet calls are a CPU setting: asked of a GPU worker, it is refused, not ignored. */
  @Test
  void parallelUnetCallsOnAGpu_stopTheDiffusionWorkerAtStart_namingTheKey() throws Exception {
    String log =
        logOfEndedStart(
            Service.DIFFUSION,
            "diffusion-worker-parallel-unet-calls-cuda",
            Map.of(
                "t2i.engine.execution-provider", "CUDA",
                "t2i.diffusion.parallel-unet-calls", "2"));

    assertThat(log)
        .contains("Configuration validation failed")
        .contains("t2i.diffusion.parallel-unet-calls=2 applies to ONNX Runtime on the CPU")
        .contains("Set it to 0 or 1")
        .doesNotContain(") started in ");
  }

  /** Starts the packaged service with these settings, waits for it to end, and returns its log. */
  private static String logOfEndedStart(Service service, String name, Map<String, String> settings)
      throws Exception {
    try (ServiceProcess process =
        ServiceProcess.start(service, name, HOME, LOGS, settings, List.of(), List.of())) {
      awaitExit(process);
      return process.logTail(200);
    }
  }

  private static void awaitExit(ServiceProcess process) {
    await()
        .atMost(START_LIMIT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () ->
                assertThat(process.isAlive())
                    .as("still running:\n%s", process.logTail(50))
                    .isFalse());
  }
}
