package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;
import t2i.v1.ListJobsRequest;
import t2i.v1.ListJobsResponse;
import t2i.v1.Preview;
import t2i.v1.TextToImageGrpc;

/**
 * The job history (ListJobs), previews on a job's streams, and the web page's HTTP/JSON API, on the
 * gateway as deployed against a real broker and Redis; the test plays the downstream stages.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class WebApiTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @GrpcClient("t2i")
  Channel channel;

  @SuppressWarnings("NullAway.Init") // Quarkus injects it before each test.
  @TestHTTPResource("/")
  URI page;

  @Inject GatewayConfig config;

  private TextToImageGrpc.TextToImageBlockingStub blocking;
  private TestStages stages;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void connect() {
    blocking = TextToImageGrpc.newBlockingStub(channel);
    stages = new TestStages(config);
  }

  @AfterEach
  void disconnect() {
    stages.close();
  }

  private String submit(String prompt) {
    return blocking.submit(GenerateRequest.newBuilder().setPrompt(prompt).build()).getJobId();
  }

  @Test
  void listJobs_pagesThroughTheCallersJobsNewestFirst() {
    List<String> submitted = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      submitted.add(submit("history " + i));
      long acceptedBy = System.currentTimeMillis();
      // The history orders by acceptance time in ms: the next job is accepted a ms later at least.
      await()
          .pollInterval(Duration.ofMillis(1))
          .until(() -> System.currentTimeMillis() > acceptedBy);
    }

    ListJobsResponse first = blocking.listJobs(ListJobsRequest.newBuilder().setPageSize(2).build());
    ListJobsResponse second =
        blocking.listJobs(
            ListJobsRequest.newBuilder()
                .setPageSize(2)
                .setPageToken(first.getNextPageToken())
                .build());

    assertThat(first.getJobsList())
        .extracting(j -> j.getJobId())
        .containsExactly(submitted.get(2), submitted.get(1));
    assertThat(first.getNextPageToken()).isNotEmpty();
    assertThat(second.getJobsList().getFirst().getJobId()).isEqualTo(submitted.get(0));
  }

  @Test
  void listJobs_filtersByState_andListsImagesWithoutTheirBytes() {
    String done = submit("finished");
    stages.runToSuccess(done, 1);
    String waiting = submit("still queued");

    ListJobsResponse succeeded =
        blocking.listJobs(ListJobsRequest.newBuilder().setState(JobState.SUCCEEDED).build());

    assertThat(succeeded.getJobsList())
        .extracting(j -> j.getJobId())
        .contains(done)
        .doesNotContain(waiting);
    assertThat(succeeded.getJobsList()).allMatch(j -> j.getState() == JobState.SUCCEEDED);
    var listed =
        succeeded.getJobsList().stream()
            .filter(j -> j.getJobId().equals(done))
            .findFirst()
            .orElseThrow();
    assertThat(listed.getImagesCount()).isEqualTo(1);
    assertThat(listed.getImages(0).getPng()).isEmpty();
    assertThat(listed.getImages(0).getSeed()).isEqualTo(100L);
  }

  @Test
  void listJobs_refusesATokenItDidNotIssue_namingTheField() {
    assertThatThrownBy(
            () ->
                blocking.listJobs(ListJobsRequest.newBuilder().setPageToken("next please").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("page_token", "first page");
              assertThat(StatusProto.fromThrowable(e).getDetails(0).toString())
                  .contains("page_token");
            });
  }

  @Test
  void previews_ofAJobReachItsStream_asPreviewEvents() {
    StreamRecorder stream = new StreamRecorder();
    TextToImageGrpc.newStub(channel)
        .generate(GenerateRequest.newBuilder().setPrompt("x").setPreviews(true).build(), stream);
    String jobId = stream.acceptedJobId();
    stages.advanceTo(jobId, JobState.DENOISING);

    Preview preview =
        Preview.newBuilder()
            .setStep(3)
            .setTotalSteps(10)
            .setWidth(8)
            .setHeight(8)
            .setPng(ByteString.copyFrom(TestStages.PNG))
            .build();
    stages.tracker.preview(jobId, preview).join();
    stages.runToSuccess(jobId, 1);

    await().atMost(WAIT).until(stream::ended);
    assertThat(stream.events)
        .filteredOn(GenerateEvent::hasPreview)
        .extracting(GenerateEvent::getPreview)
        .containsExactly(preview);
    assertThat(stream.events.getLast().hasCompleted()).isTrue();
  }

  @Test
  void thePage_isServedFromTheGatewaysHttpPort() throws Exception {
    HttpResponse<String> index = get("/");

    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(index.body()).contains("id=\"generate-form\"", "app.js");
    assertThat(get("/app.js").statusCode()).isEqualTo(200);
  }

  @Test
  void models_answerAsProtobufJson() throws Exception {
    HttpResponse<String> models = get("/api/models");

    assertThat(models.statusCode()).isEqualTo(200);
    JsonArray list = new JsonObject(models.body()).getJsonArray("models");
    assertThat(list.getJsonObject(0).getString("name")).isEqualTo("tiny-random");
    assertThat(list.getJsonObject(0).getBoolean("isDefault")).isTrue();
  }

  @Test
  void aBadSize_isRefusedWith400_namingTheField() throws Exception {
    HttpResponse<String> refused = post("/api/generate", "{\"prompt\": \"x\", \"width\": 100}");

    assertThat(refused.statusCode()).isEqualTo(400);
    JsonObject error = new JsonObject(refused.body());
    assertThat(error.getString("code")).isEqualTo("INVALID_ARGUMENT");
    assertThat(error.getString("field")).isEqualTo("width");
    assertThat(error.getString("message")).contains("multiple of 8", "was 100");
  }

  @Test
  void anUnknownField_isRefusedSayingWhichOne() throws Exception {
    HttpResponse<String> refused = post("/api/generate", "{\"prompt\": \"x\", \"colour\": 3}");

    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(refused.body()).getString("message")).contains("colour");
  }

  @Test
  void aBodyThatIsNotJson_isRefused_soThatNoOtherSiteCanPostForm() throws Exception {
    HttpResponse<String> refused =
        http.send(
            HttpRequest.newBuilder(page.resolve("/api/generate"))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(refused.statusCode()).isEqualTo(415);
    assertThat(new JsonObject(refused.body()).getString("message")).contains("application/json");
  }

  @Test
  void generate_streamsServerSentEvents_fromAcceptedToCompleted() throws Exception {
    // Other tests share the tenant: this job is told apart by its prompt.
    String prompt = "a red circle " + java.util.UUID.randomUUID();
    HttpRequest request =
        HttpRequest.newBuilder(page.resolve("/api/generate"))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"prompt\": \"" + prompt + "\", \"seed\": \"42\"}"))
            .build();
    var response = http.sendAsync(request, HttpResponse.BodyHandlers.ofLines());
    String jobId = await().atMost(WAIT).until(() -> latestJob(prompt), id -> !id.isEmpty());
    stages.runToSuccess(jobId, 1);

    HttpResponse<java.util.stream.Stream<String>> answer = response.get();
    List<String> events =
        answer.body().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7)).toList();
    assertThat(answer.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    assertThat(events.getFirst()).isEqualTo("accepted");
    assertThat(events).contains("image");
    assertThat(events.getLast()).isEqualTo("completed");
  }

  @Test
  void jobsAndTheirImages_areServedAsJsonAndPng() throws Exception {
    String jobId = submit("served");
    stages.runToSuccess(jobId, 1);

    JsonObject job = new JsonObject(get("/api/jobs/" + jobId).body());
    HttpResponse<byte[]> png =
        http.send(
            HttpRequest.newBuilder(page.resolve("/api/jobs/" + jobId + "/images/0.png")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<String> missing = get("/api/jobs/" + jobId + "/images/5.png");

    assertThat(job.getString("state")).isEqualTo("SUCCEEDED");
    assertThat(job.getJsonArray("images").getJsonObject(0).containsKey("png")).isFalse();
    assertThat(png.statusCode()).isEqualTo(200);
    assertThat(png.headers().firstValue("Content-Type")).contains("image/png");
    assertThat(png.body()).isEqualTo(TestStages.PNG);
    assertThat(missing.statusCode()).isEqualTo(404);
  }

  @Test
  void anUnknownJob_andAnUnknownRoute_answer404InJson() throws Exception {
    HttpResponse<String> job = get("/api/jobs/no-such-job");
    HttpResponse<String> route = get("/api/nothing-here");

    assertThat(job.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(job.body()).getString("message")).contains("does not exist");
    assertThat(route.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(route.body()).getString("message"))
        .contains("not part of the web API");
  }

  /** The newest job with this prompt, from the web API's own listing; empty if none yet. */
  private String latestJob(String prompt) throws IOException, InterruptedException {
    JsonArray jobs = new JsonObject(get("/api/jobs?pageSize=5").body()).getJsonArray("jobs");
    for (int i = 0; jobs != null && i < jobs.size(); i++) {
      JsonObject job = jobs.getJsonObject(i);
      if (prompt.equals(job.getJsonObject("request").getString("prompt"))) {
        return job.getString("jobId");
      }
    }
    return "";
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(page.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String json)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(page.resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
