package t2i.gateway;

import com.google.protobuf.ByteString;
import java.util.Optional;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobView;
import t2i.pipeline.v1.ImageReady;
import t2i.v1.Image;
import t2i.v1.Job;
import t2i.v1.QueuePosition;

/** Turns job records into API messages. Thread-safe; does not own the store. */
final class JobViews {

  private final JobStore store;
  private final QueuePositions positions;

  JobViews(JobStore store, QueuePositions positions) {
    this.store = store;
    this.positions = positions;
  }

  /** Where the job waits, while it waits for a stage and the stage's queue was measured. */
  Optional<QueuePosition> queuePosition(JobView view) {
    return view.waitingIn().flatMap(positions::of);
  }

  /** The API view of a job, without image bytes. */
  Job summary(JobView view) {
    Job.Builder job = Job.newBuilder();
    queuePosition(view).ifPresent(job::setQueuePosition);
    return job.setJobId(view.spec().getJobId())
        .setState(view.state())
        .setRequest(view.spec().getRequest())
        .setStep(view.step())
        .setTotalSteps(view.totalSteps())
        .setReason(view.reason())
        .addAllTransitions(view.transitions())
        .addAllCallbackAttempts(view.callbackAttempts())
        .build();
  }

  /** The API view of a job for a list: its images' seeds and sizes, without their PNG bytes. */
  Job listed(JobView view) {
    Job.Builder job = summary(view).toBuilder();
    for (ImageReady ready : view.images()) {
      job.addImages(
          Image.newBuilder()
              .setSeed(ready.getSeed())
              .setIndex(ready.getIndex())
              .setWidth(ready.getWidth())
              .setHeight(ready.getHeight()));
    }
    return job.build();
  }

  /** The API view of a job with every stored image; empty if an image has already expired. */
  Optional<Job> withImages(JobView view) {
    Job.Builder job = summary(view).toBuilder();
    for (ImageReady ready : view.images()) {
      Optional<Image> image = image(ready);
      if (image.isEmpty()) {
        return Optional.empty();
      }
      job.addImages(image.get());
    }
    return Optional.of(job.build());
  }

  /** The image an event announced, with its PNG from Redis; empty if it expired. */
  Optional<Image> image(ImageReady ready) {
    return store
        .png(ready.getPngRedisKey())
        .map(
            png ->
                Image.newBuilder()
                    .setPng(ByteString.copyFrom(png))
                    .setSeed(ready.getSeed())
                    .setIndex(ready.getIndex())
                    .setWidth(ready.getWidth())
                    .setHeight(ready.getHeight())
                    .build());
  }
}
