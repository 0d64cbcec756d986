package t2i.notifier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import t2i.pipeline.job.JobView;
import t2i.pipeline.v1.ImageReady;
import t2i.v1.GenerateRequest;
import t2i.v1.StateTransition;

/**
 * The JSON body of a job's callback: its id, final state and reason, the parameters it ran with,
 * when it went through each state, and its images' seeds and sizes. Not the PNG bytes: a receiver
 * fetches them with {@code GetJob} while the job is kept.
 */
final class WebhookPayload {

  private static final ObjectMapper JSON = new ObjectMapper();

  private WebhookPayload() {}

  /** One id for every attempt at a job's callback: a job ends once. */
  static String deliveryId(String jobId) {
    return UUID.nameUUIDFromBytes(("t2i-callback:" + jobId).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  static byte[] of(JobView job) {
    ObjectNode root = JSON.createObjectNode();
    String jobId = job.spec().getJobId();
    root.put("delivery_id", deliveryId(jobId));
    root.put("job_id", jobId);
    root.put("state", job.state().name());
    root.put("reason", job.reason());
    if (!job.spec().getTenant().isEmpty()) {
      root.put("tenant", job.spec().getTenant());
    }
    root.set("request", request(job.spec().getRequest()));
    root.put("accepted_at", Instant.ofEpochMilli(job.spec().getAcceptedAtUnixMs()).toString());
    ArrayNode transitions = root.putArray("transitions");
    for (StateTransition t : job.transitions()) {
      transitions.addObject().put("state", t.getState().name()).put("at", iso(t.getAt()));
    }
    ArrayNode images = root.putArray("images");
    for (ImageReady image : job.images()) {
      images
          .addObject()
          .put("index", image.getIndex())
          .put("seed", image.getSeed())
          .put("width", image.getWidth())
          .put("height", image.getHeight());
    }
    root.put("images_from", "GetJob(job_id), while the server keeps the job");
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree of strings and numbers always serializes", e);
    }
  }

  private static ObjectNode request(GenerateRequest request) {
    ObjectNode node = JSON.createObjectNode();
    node.put("prompt", request.getPrompt());
    node.put("negative_prompt", request.getNegativePrompt());
    node.put("model", request.getModel());
    node.put("width", request.getWidth());
    node.put("height", request.getHeight());
    node.put("steps", request.getSteps());
    node.put("guidance_scale", request.getGuidanceScale());
    node.put("seed", request.getSeed());
    node.put("count", request.getCount());
    node.put("scheduler", request.getScheduler().name());
    node.put("request_id", request.getRequestId());
    return node;
  }

  private static String iso(Timestamp at) {
    return Instant.ofEpochSecond(at.getSeconds(), at.getNanos()).toString();
  }
}
