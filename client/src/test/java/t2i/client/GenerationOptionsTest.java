package t2i.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import t2i.v1.GenerateRequest;

class GenerationOptionsTest {

  private static GenerateRequest parse(String... args) {
    GenerateCommand command = new GenerateCommand();
    new CommandLine(command).parseArgs(args);
    return command.options.toRequest();
  }

  @Test
  void unsetOptions_leaveTheServerToDecide() {
    GenerateRequest request = parse("--server", "h:1", "a cat", "--out", "x.png");

    assertThat(request.getPrompt()).isEqualTo("a cat");
    assertThat(request.hasSeed()).isFalse();
    assertThat(request.hasGuidanceScale()).isFalse();
    assertThat(request.getSteps()).isZero();
  }

  @Test
  void everyOption_reachesTheRequest() {
    GenerateRequest request =
        parse(
            "--server",
            "h:1",
            "a cat",
            "--out",
            "x.png",
            "--negative",
            "blurry",
            "--steps",
            "4",
            "--guidance",
            "0",
            "--seed",
            "-5",
            "--width",
            "96",
            "--height",
            "64",
            "--count",
            "2",
            "--model",
            "m",
            "--callback",
            "https://hooks.example.com/t2i");

    assertThat(request)
        .isEqualTo(
            GenerateRequest.newBuilder()
                .setPrompt("a cat")
                .setNegativePrompt("blurry")
                .setSteps(4)
                .setGuidanceScale(0f)
                .setSeed(-5)
                .setWidth(96)
                .setHeight(64)
                .setCount(2)
                .setModel("m")
                .setCallbackUrl("https://hooks.example.com/t2i")
                .build());
  }
}
