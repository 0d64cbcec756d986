package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Channel;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.v1.CancelRequest;
import t2i.v1.GenerateRequest;
import t2i.v1.TextToImageGrpc;

/**
 * The web API on a gateway with API keys and a bound on its calls ({@link QuotaProfile}): the key
 * is asked for in words, and calls past the bound are refused at once until one ends.
 */
@QuarkusTest
@TestProfile(QuotaProfile.class)
@QuarkusTestResource(LocalStackTestResource.class)
class WebApiLimitsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @GrpcClient("t2i")
  Channel channel;

  @SuppressWarnings("NullAway.Init") // Quarkus injects it before each test.
  @TestHTTPResource("/")
  URI page;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private TextToImageGrpc.TextToImageBlockingStub web() {
    return AuthenticatedProfile.withBearer(
        TextToImageGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS),
        QuotaProfile.WEB_KEY);
  }

  private HttpResponse<String> models(String authorization)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(page.resolve("/api/models"));
    if (!authorization.isEmpty()) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void withoutAKey_theApiAnswers401_sayingHowToSendOne() throws Exception {
    HttpResponse<String> refused = models("");
    HttpResponse<String> wrong = models("Bearer not-a-key");

    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(refused.body()).getString("message")).contains("Bearer");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(models("Bearer " + QuotaProfile.WEB_KEY).statusCode()).isEqualTo(200);
  }

  @Test
  void pastItsMostCallsInFlight_theApiAnswers503_untilOneEnds() throws Exception {
    String jobId = web().submit(GenerateRequest.newBuilder().setPrompt("x").build()).getJobId();
    CompletableFuture<HttpResponse<Stream<String>>> watching =
        http.sendAsync(
            HttpRequest.newBuilder(page.resolve("/api/jobs/" + jobId + "/events"))
                .header("Authorization", "Bearer " + QuotaProfile.WEB_KEY)
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertThat(watching.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

    HttpResponse<String> refused = models("Bearer " + QuotaProfile.WEB_KEY);

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After")).contains("1");
    assertThat(new JsonObject(refused.body()).getString("message"))
        .contains("t2i.gateway.web.max-calls");

    web().cancel(CancelRequest.newBuilder().setJobId(jobId).build());
    await().atMost(WAIT).until(() -> models("Bearer " + QuotaProfile.WEB_KEY).statusCode() == 200);
    assertThat(watching.get().body().toList()).contains("event: error");
  }
}
