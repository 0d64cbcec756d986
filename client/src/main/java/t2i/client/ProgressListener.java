package t2i.client;

import t2i.v1.GenerateRequest;
import t2i.v1.Image;
import t2i.v1.Progress;

/** Hears what happens to a job while {@link GenerateClient#generate} waits for it. */
public interface ProgressListener {

  ProgressListener NONE = new ProgressListener() {};

  default void accepted(String jobId, GenerateRequest effectiveRequest) {}

  default void progress(Progress progress) {}

  default void image(Image image) {}

  default void finished() {}
}
