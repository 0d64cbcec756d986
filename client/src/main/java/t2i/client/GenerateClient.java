package t2i.client;

import io.grpc.Channel;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.Image;
import t2i.v1.Job;
import t2i.v1.TextToImageGrpc;

/**
 * Generates images through a gateway's streaming {@code Generate} call. Stateless and thread-safe;
 * does not own the channel.
 */
public final class GenerateClient {

  private final Channel channel;

  public GenerateClient(Channel channel) {
    this.channel = channel;
  }

  /**
   * Runs one request to completion, reporting progress as it arrives.
   *
   * @param timeout the call's deadline, which also bounds the job on the server
   * @throws io.grpc.StatusRuntimeException with the server's reason if the job was refused or did
   *     not succeed
   */
  public Generation generate(GenerateRequest request, Duration timeout, ProgressListener listener) {
    Iterator<GenerateEvent> events =
        TextToImageGrpc.newBlockingStub(channel)
            .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .generate(request);
    String jobId = null;
    GenerateRequest effective = request;
    List<Image> images = new ArrayList<>();
    Job job = null;
    while (events.hasNext()) {
      GenerateEvent event = events.next();
      switch (event.getEventCase()) {
        case ACCEPTED -> {
          jobId = event.getAccepted().getJobId();
          effective = event.getAccepted().getEffectiveRequest();
          listener.accepted(jobId, effective);
        }
        case PROGRESS -> listener.progress(event.getProgress());
        case IMAGE -> {
          images.add(event.getImage());
          listener.image(event.getImage());
        }
        case COMPLETED -> job = event.getCompleted().getJob();
        default -> {}
      }
    }
    listener.finished();
    if (jobId == null || job == null) {
      throw Status.INTERNAL
          .withDescription("the gateway ended the stream without completing the job")
          .asRuntimeException();
    }
    return new Generation(jobId, effective, images, job);
  }
}
