package t2i.client;

import java.util.List;
import t2i.v1.GenerateRequest;
import t2i.v1.Image;
import t2i.v1.Job;

/** What a completed Generate call returned: the job, the parameters it ran with, its images. */
public record Generation(
    String jobId, GenerateRequest effectiveRequest, List<Image> images, Job job) {

  public Generation {
    images = List.copyOf(images);
  }
}
