package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.callback.CallbackRules;
import t2i.pipeline.model.ModelRegistry;
import t2i.v1.GenerateRequest;

class RequestValidatorTest {

  private static RequestValidator validator;
  private static RequestValidator withCallbacks;
  private static RequestValidator withCallbackHosts;

  /** Limits close to the defaults, with some smaller so that tests can reach them. */
  private static final RequestLimits LIMITS =
      new RequestLimits(1024, 768, 150, 8, 1000, 100f, 25, 7.5f);

  @BeforeAll
  static void setUp() throws IOException {
    Path models = Path.of(System.getProperty("repo.root"), "models", "tiny-random");
    PromptTokenizer tokenizer = PromptTokenizer.load(models.resolve("tokenizer"));
    ModelRegistry registry = ModelRegistry.scan(models, Optional.empty());
    Map<String, PromptTokenizer> tokenizers = Map.of("tiny-random", tokenizer);
    validator =
        new RequestValidator(
            LIMITS, registry, tokenizers, 2, new CallbackRules(Set.of(), List.of(), false, 2048));
    withCallbacks =
        new RequestValidator(
            LIMITS,
            registry,
            tokenizers,
            2,
            new CallbackRules(Set.of("https"), List.of(), false, 100));
    withCallbackHosts =
        new RequestValidator(
            LIMITS,
            registry,
            tokenizers,
            2,
            new CallbackRules(Set.of("https", "http"), List.of("*.example.org"), false, 2048));
  }

  private static GenerateRequest.Builder valid() {
    return GenerateRequest.newBuilder().setPrompt("a red circle");
  }

  private static void assertInvalid(ThrowingCallable call, String... fragments) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains(fragments);
            });
  }

  @Test
  void unsetFields_takeTheModelsAndServersDefaults() {
    GenerateRequest resolved = validator.resolve(valid().build());

    assertThat(resolved.getModel()).isEqualTo("tiny-random");
    assertThat(resolved.getWidth()).isEqualTo(64);
    assertThat(resolved.getHeight()).isEqualTo(64);
    assertThat(resolved.getSteps()).isEqualTo(25);
    assertThat(resolved.getGuidanceScale()).isEqualTo(7.5f);
    assertThat(resolved.getCount()).isEqualTo(1);
    assertThat(resolved.hasSeed()).isTrue();
    assertThat(resolved.getSeed()).isBetween(0L, 1L << 53);
  }

  @Test
  void givenFields_areKept() {
    GenerateRequest request =
        valid()
            .setNegativePrompt("blurry")
            .setWidth(128)
            .setHeight(96)
            .setSteps(4)
            .setGuidanceScale(0f)
            .setSeed(-42)
            .setCount(3)
            .setModel("tiny-random")
            .build();

    assertThat(validator.resolve(request)).isEqualTo(request);
  }

  @Test
  void blankPrompt_isRejected() {
    assertInvalid(() -> validator.resolve(valid().setPrompt("  ").build()), "prompt");
    assertInvalid(
        () -> validator.resolve(valid().setPrompt("").build()), "prompt must not be empty");
  }

  @Test
  void overlongPrompts_areRejectedWithTheLimit() {
    String longText = "a".repeat(1001);
    assertInvalid(
        () -> validator.resolve(valid().setPrompt(longText).build()),
        "prompt is 1001 characters",
        "at most 1000",
        "t2i.gateway.max-prompt-chars");
    assertInvalid(
        () -> validator.resolve(valid().setNegativePrompt(longText).build()), "negative_prompt");
  }

  @Test
  void promptBeyondTheWindowLimit_isRejectedWithHowMuchToCut() {
    String threeWindows = "red ".repeat(160);

    assertInvalid(
        () -> validator.resolve(valid().setPrompt(threeWindows).build()),
        "prompt does not fit in 2 windows of 75 tokens",
        "t2i.models.max-prompt-chunks",
        "by at least 10 tokens");
    assertInvalid(
        () -> validator.resolve(valid().setNegativePrompt(threeWindows).build()),
        "negative_prompt does not fit");
  }

  @Test
  void sizeNotAPositiveMultipleOf8_isRejectedWithTheRange() {
    assertInvalid(
        () -> validator.resolve(valid().setWidth(100).build()),
        "width must be a positive multiple of 8 up to 1024",
        "was 100");
    assertInvalid(() -> validator.resolve(valid().setWidth(-64).build()), "width", "was -64");
    assertInvalid(
        () -> validator.resolve(valid().setHeight(776).build()),
        "height must be a positive multiple of 8 up to 768",
        "t2i.gateway.max-height");
  }

  @Test
  void stepsOutOfRange_areRejectedWithTheRange() {
    assertInvalid(
        () -> validator.resolve(valid().setSteps(151).build()), "steps must be between 1 and 150");
    assertInvalid(() -> validator.resolve(valid().setSteps(-1).build()), "steps", "was -1");
  }

  @Test
  void guidanceNotFiniteOrOutOfRange_isRejected() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, -1f, 101f}) {
      assertInvalid(
          () -> validator.resolve(valid().setGuidanceScale(bad).build()),
          "guidance_scale must be a finite number between 0 and 100");
    }
  }

  @Test
  void countOutOfRange_isRejectedWithTheRange() {
    assertInvalid(
        () -> validator.resolve(valid().setCount(9).build()),
        "count must be between 1 and 8",
        "t2i.gateway.max-count");
    assertInvalid(() -> validator.resolve(valid().setCount(-3).build()), "count", "was -3");
  }

  @Test
  void unknownModel_isNotFoundAndListsTheModels() {
    assertThatThrownBy(() -> validator.resolve(valid().setModel("sd-99").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription()).contains("sd-99", "tiny-random");
            });
  }

  @Test
  void aCallback_isRefusedUnlessTheOperatorAllowsCallbacks() {
    assertInvalid(
        () -> validator.resolve(valid().setCallbackUrl("https://93.184.216.34/hook").build()),
        "sends no callbacks",
        "t2i.gateway.callbacks.allowed-schemes");
  }

  @Test
  void anAllowedCallback_isKeptInTheResolvedRequest() {
    GenerateRequest resolved =
        withCallbacks.resolve(valid().setCallbackUrl("https://93.184.216.34/hook?x=1").build());

    assertThat(resolved.getCallbackUrl()).isEqualTo("https://93.184.216.34/hook?x=1");
  }

  @Test
  void aCallbackWithAnotherScheme_isRefusedNamingTheAllowedOnes() {
    assertInvalid(
        () -> withCallbacks.resolve(valid().setCallbackUrl("http://93.184.216.34/").build()),
        "scheme https");
    assertInvalid(
        () -> withCallbacks.resolve(valid().setCallbackUrl("/relative/path").build()),
        "absolute URL");
  }

  @Test
  void aCallbackToAPrivateLoopbackOrLinkLocalAddress_isRefused() {
    for (String url :
        List.of(
            "https://127.0.0.1/hook",
            "https://localhost/hook",
            "https://10.1.2.3/hook",
            "https://192.168.0.10/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/hook",
            "https://[::1]/hook",
            "https://[fd00::1]/hook",
            "https://[::ffff:10.0.0.1]/hook")) {
      assertInvalid(
          () -> withCallbacks.resolve(valid().setCallbackUrl(url).build()),
          "private, loopback or link-local",
          "t2i.gateway.callbacks.allow-private-addresses");
    }
  }

  @Test
  void anOverLongCallbackOrOneWithCredentials_isRefused() {
    assertInvalid(
        () ->
            withCallbacks.resolve(
                valid().setCallbackUrl("https://93.184.216.34/" + "a".repeat(100)).build()),
        "at most 100");
    assertInvalid(
        () ->
            withCallbacks.resolve(
                valid().setCallbackUrl("https://user:secret@93.184.216.34/").build()),
        "user name or password");
  }

  @Test
  void aCallbackToAHostOutsideTheAllowedOnes_isRefusedNamingThem() {
    assertInvalid(
        () ->
            withCallbackHosts.resolve(
                valid().setCallbackUrl("https://hooks.example.com/x").build()),
        "hooks.example.com is not one this server calls",
        "*.example.org",
        "t2i.gateway.callbacks.allowed-hosts");
    assertInvalid(
        () ->
            withCallbackHosts.resolve(
                valid().setCallbackUrl("https://hooks.example.org.invalid/x").build()),
        "is not one this server calls");
    // An allowed name passes the host check, and must then resolve.
    assertInvalid(
        () ->
            withCallbackHosts.resolve(
                valid().setCallbackUrl("https://no-such-host.example.org/x").build()),
        "does not resolve");
  }
}
