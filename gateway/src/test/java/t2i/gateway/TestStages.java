package t2i.gateway;

import java.time.InstantSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import redis.clients.jedis.UnifiedJedis;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.RedisKeys;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.v1.ImageReady;
import t2i.v1.JobState;

/**
 * Plays the stages downstream of the gateway for tests: records job progress exactly as they do
 * (job record first, then an event). Owns its producer and Redis client.
 */
final class TestStages implements AutoCloseable {

  static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};

  final KafkaProducer<String, byte[]> producer;
  final UnifiedJedis redis;
  final JobStore store;
  final JobTracker tracker;

  TestStages(GatewayConfig config) {
    this.producer = KafkaClients.producer(KafkaEndpoint.from(config.kafka()), "test-stages");
    this.redis = StageConnections.openRedis(config.redis().url());
    // The gateway's retention: every write renews a record's time to live with it.
    this.store = new JobStore(redis, config.redis().jobRetention(), InstantSource.system());
    this.tracker =
        new JobTracker(
            store,
            new Publisher(producer, Runnable::run),
            config.kafka().topics().events(),
            InstantSource.system());
  }

  void advanceTo(String jobId, JobState state) {
    tracker.advance(jobId, state).join();
  }

  void denoise(String jobId, int step, int total) {
    tracker.progress(jobId, step, total).join();
  }

  void image(String jobId, int index) {
    store.putImage(jobId, imageReady(jobId, index), PNG);
  }

  void finish(String jobId, JobState state, String reason) {
    tracker.finish(jobId, state, reason).join();
  }

  /** Runs a job through every stage to SUCCEEDED with {@code images} images. */
  void runToSuccess(String jobId, int images) {
    advanceTo(jobId, JobState.TOKENIZING);
    advanceTo(jobId, JobState.ENCODING);
    advanceTo(jobId, JobState.DENOISING);
    denoise(jobId, 1, 2);
    denoise(jobId, 2, 2);
    for (int i = 0; i < images; i++) {
      image(jobId, i);
    }
    finish(jobId, JobState.SUCCEEDED, "");
  }

  static ImageReady imageReady(String jobId, int index) {
    return ImageReady.newBuilder()
        .setIndex(index)
        .setSeed(100 + index)
        .setWidth(64)
        .setHeight(64)
        .setPngRedisKey(RedisKeys.png(jobId, index))
        .build();
  }

  @Override
  public void close() {
    try {
      redis.close();
    } finally {
      producer.close();
    }
  }
}
