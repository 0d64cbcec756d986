package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import t2i.client.Channels;
import t2i.client.GenerateClient;
import t2i.client.ProgressListener;
import t2i.launcher.LocalCluster;
import t2i.local.WebhookReceiver;
import t2i.v1.CallbackAttempt;
import t2i.v1.CallbackOutcome;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.TextToImageGrpc;

/**
 * Callbacks through the whole system: a client names a URL, the job runs, and the notifier POSTs
 * its outcome, signed, to a real receiver that checks every signature.
 */
@ExtendWith(SharedCluster.class)
class WebhookTest {

  private static final Duration WAIT = Duration.ofMinutes(1);

  private static ManagedChannel channel;

  @BeforeAll
  static void connect(LocalCluster cluster) {
    channel = Channels.open(cluster.gatewayAddress());
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static GenerateRequest request(String callbackUrl) {
    return GenerateRequest.newBuilder()
        .setPrompt("a green square")
        .setWidth(64)
        .setHeight(64)
        .setSteps(2)
        .setCallbackUrl(callbackUrl)
        .build();
  }

  private static Job getJob(String jobId) {
    return TextToImageGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
  }

  @Test
  void eachJob_isAcceptedByItsReceiverExactlyOnce_afterTwoFailures_andGetJobShowsEveryAttempt()
      throws Exception {
    try (WebhookReceiver receiver =
        WebhookReceiver.answering(SharedCluster.SIGNING_SECRET, 500, 500)) {
      List<String> jobIds = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        jobIds.add(
            new GenerateClient(channel)
                .generate(request(receiver.url()), WAIT, ProgressListener.NONE)
                .jobId());
      }

      for (String jobId : jobIds) {
        await()
            .atMost(WAIT)
            .until(
                () ->
                    getJob(jobId).getCallbackAttemptsList().stream()
                        .anyMatch(a -> a.getOutcome() == CallbackOutcome.DELIVERED));
        List<CallbackAttempt> attempts = getJob(jobId).getCallbackAttemptsList();
        assertThat(attempts)
            .extracting(CallbackAttempt::getOutcome)
            .containsExactly(
                CallbackOutcome.WILL_RETRY, CallbackOutcome.WILL_RETRY, CallbackOutcome.DELIVERED);
        String delivery = attempts.getFirst().getDeliveryId();
        List<WebhookReceiver.Request> seen = receiver.requestsFor(delivery);
        assertThat(seen)
            .as("every request the receiver saw was signed")
            .allMatch(WebhookReceiver.Request::signatureValid);
        assertThat(seen.stream().filter(r -> r.answered() == 200))
            .as("accepted deliveries of job " + jobId)
            .hasSize(1);
        assertThat(seen.getLast().body()).contains(jobId, "SUCCEEDED");
      }
    }
  }

  @Test
  void aCallbackTheGatewayDoesNotAllow_isRefusedAtSubmission() {
    for (String url : List.of("ftp://127.0.0.1/hook", "https://127.0.0.1/hook", "not a url")) {
      assertThatThrownBy(
              () -> new GenerateClient(channel).generate(request(url), WAIT, ProgressListener.NONE))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("callback_url");
              });
    }
  }
}
