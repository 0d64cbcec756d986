package t2i.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code deploy/gpu/check.sh} as far as a machine without a GPU can take it: its options, its
 * refusals of bad ones (exit 64, naming the option), and its refusal to start without a GPU (exit
 * 3) before it builds anything.
 */
class GpuCheckScriptTest {

  private static final Path ROOT = Path.of(System.getProperty("repo.root"));
  private static final Path SCRIPT = ROOT.resolve("deploy/gpu/check.sh");

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("check-out", ".txt");
    Path err = Files.createTempFile("check-err", ".txt");
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(ROOT.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the script ends at once").isTrue();
      return new Run(
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @Test
  void help_listsEveryOption() throws Exception {
    Run run = run("--help");
    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .contains(
            "--providers",
            "--device-id",
            "--model",
            "--sizes",
            "--batches",
            "--steps",
            "--skip-build",
            "--skip-tests");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--providers | ROCm      | --providers takes CUDA and TensorRT, was 'ROCm'",
        "--device-id | first     | --device-id must be a number, was 'first'",
        "--sizes     | 64,100    | --sizes takes multiples of 8, was '100'",
        "--batches   | 1,0       | --batches takes positive numbers, was '0'",
        "--steps     | 0         | --steps must be a positive number, was '0'",
        "--model     | no/such   | --model: no/such/unet/model.onnx does not exist",
        "--colour    | red       | unknown option '--colour'",
      })
  void aBadOption_isRefusedNamingIt_beforeAnythingRuns(String option, String value, String message)
      throws Exception {
    Run run = run(option, value);
    assertThat(run.exit()).isEqualTo(64);
    assertThat(run.err()).contains(message).contains("Usage:");
  }

  @Test
  void withoutAGpu_itSaysSoAndStops_beforeBuilding() throws Exception {
    assumeTrue(
        !Files.exists(Path.of("/proc/driver/nvidia/version")), "this machine has an NVIDIA driver");
    Run run = run("--skip-tests");
    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.err()).contains("no NVIDIA GPU here");
    assertThat(run.out()).doesNotContain("building");
  }
}
