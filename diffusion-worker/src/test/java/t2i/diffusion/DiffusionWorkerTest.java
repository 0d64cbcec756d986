package t2i.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import t2i.local.ConsumerGroups;
import t2i.local.LocalStackTestResource;
import t2i.local.TopicProbe;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobView;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.tensor.FloatTensor;
import t2i.pipeline.v1.EmbeddingRef;
import t2i.pipeline.v1.EncodedJob;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobEvent;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.PromptTokens;
import t2i.pipeline.v1.StepProgress;
import t2i.pipeline.v1.TokenChunk;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;

/** The diffusion worker as deployed, against a real broker and Redis. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class DiffusionWorkerTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String GROUP = "t2i-" + DenoiseHandler.STAGE;
  private static final int STEPS = 4;

  @Inject DiffusionWorkerConfig config;

  private KafkaProducer<String, byte[]> producer;
  private UnifiedJedis redis;
  private JobStore store;
  private TopicProbe events;

  @BeforeEach
  void connect() {
    producer = KafkaClients.producer(KafkaEndpoint.from(config.kafka()), "test");
    redis = StageConnections.openRedis(config.redis().url());
    store = new JobStore(redis, Duration.ofMinutes(5), InstantSource.system());
    events = TopicProbe.open(config.kafka().bootstrapServers(), config.kafka().topics().events());
  }

  @AfterEach
  void disconnect() {
    events.close();
    redis.close();
    producer.close();
  }

  private static JobSpec spec(String model, int count) {
    return JobSpec.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setRequest(
            GenerateRequest.newBuilder()
                .setPrompt("a red circle at the top left on a white background")
                .setModel(model)
                .setWidth(64)
                .setHeight(48)
                .setSteps(STEPS)
                .setGuidanceScale(7.5f)
                .setSeed(7)
                .setCount(count))
        .build();
  }

  /** Stores an embedding as the encoder worker does and returns its reference. */
  private EmbeddingRef storeEmbedding(FloatTensor embedding) {
    String key = "t2i:emb:test:" + UUID.randomUUID();
    redis.set(key.getBytes(StandardCharsets.UTF_8), embedding.toBytes());
    return EmbeddingRef.newBuilder()
        .setRedisKey(key)
        .addShape(embedding.shape()[0])
        .addShape(embedding.shape()[1])
        .build();
  }

  private EncodedJob encodedJob(JobSpec spec) {
    var reference = TinyRandom.reference();
    return EncodedJob.newBuilder()
        .setSpec(spec)
        .setPrompt(storeEmbedding(TinyRandom.referenceEmbedding(reference, 0)))
        .setNegativePrompt(storeEmbedding(TinyRandom.referenceEmbedding(reference, 1)))
        .build();
  }

  /** Does what the encoder worker does: publishes the encoded job. */
  private RecordMetadata publish(EncodedJob job) {
    return new Publisher(producer, Runnable::run)
        .send(config.kafka().topics().encoded(), job.getSpec().getJobId(), job)
        .join();
  }

  /** Records the job, as the gateway does, then publishes it encoded. */
  private RecordMetadata submit(EncodedJob job) {
    store.create(job.getSpec());
    return publish(job);
  }

  private static List<JobEvent> parse(List<byte[]> values) throws Exception {
    List<JobEvent> parsed = new ArrayList<>();
    for (byte[] value : values) {
      parsed.add(JobEvent.parseFrom(value));
    }
    return parsed;
  }

  /** The job's events up to and including the one that ends it, which is its last. */
  private List<JobEvent> eventsUntilFinished(String jobId) throws Exception {
    int wanted = 1;
    while (true) {
      List<JobEvent> seen = parse(events.awaitValues(jobId, wanted, WAIT));
      if (seen.stream().anyMatch(JobEvent::hasFinished)) {
        return seen;
      }
      wanted = seen.size() + 1;
    }
  }

  private void awaitState(String jobId, JobState state) {
    await().atMost(WAIT).until(() -> store.state(jobId).orElseThrow() == state);
  }

  @Test
  void encodedJob_endsSucceededWithItsImagesInRedis() throws Exception {
    JobSpec spec = spec("tiny-random", 2);

    submit(encodedJob(spec));
    awaitState(spec.getJobId(), JobState.SUCCEEDED);

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.step()).isEqualTo(STEPS);
    assertThat(view.totalSteps()).isEqualTo(STEPS);
    assertThat(view.images()).extracting(ImageReady::getIndex).containsExactly(0, 1);
    assertThat(view.images()).extracting(ImageReady::getSeed).containsExactly(7L, 8L);
    for (ImageReady image : view.images()) {
      assertThat(image.getWidth()).isEqualTo(64);
      assertThat(image.getHeight()).isEqualTo(48);
      byte[] png = store.png(image.getPngRedisKey()).orElseThrow();
      BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
      assertThat(decoded.getWidth()).isEqualTo(64);
      assertThat(decoded.getHeight()).isEqualTo(48);
    }
  }

  @Test
  void encodedJob_isAnnouncedFromDenoisingThroughEachStepToSucceeded_itsImagesInTheRecord()
      throws Exception {
    JobSpec spec = spec("tiny-random", 2);

    submit(encodedJob(spec));
    List<JobEvent> seen = eventsUntilFinished(spec.getJobId());

    assertThat(seen.getFirst().hasStateChanged()).isTrue();
    assertThat(seen.getFirst().getStateChanged().getState()).isEqualTo(JobState.DENOISING);
    List<StepProgress> progress =
        seen.stream().filter(JobEvent::hasStepProgress).map(JobEvent::getStepProgress).toList();
    assertThat(progress).isNotEmpty();
    assertThat(progress).allSatisfy(p -> assertThat(p.getTotalSteps()).isEqualTo(STEPS));
    assertThat(progress).extracting(StepProgress::getStep).isSorted();
    assertThat(progress.getLast().getStep()).isEqualTo(STEPS);
    assertThat(seen)
        .as("the start, the steps and the end; images are announced by the end")
        .allMatch(e -> e.hasStateChanged() || e.hasStepProgress() || e.hasFinished());
    List<ImageReady> images = store.find(spec.getJobId()).orElseThrow().images();
    assertThat(images).extracting(ImageReady::getIndex).containsExactlyInAnyOrder(0, 1);
    assertThat(images).extracting(ImageReady::getPngRedisKey).doesNotHaveDuplicates();
    assertThat(seen.getLast().hasFinished()).isTrue();
    assertThat(seen.getLast().getFinished().getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(seen.stream().filter(JobEvent::hasFinished)).hasSize(1);
  }

  @Test
  void missingEmbedding_sendsTheJobBackToTheEncoderWithItsTokens() throws Exception {
    JobSpec spec = spec("tiny-random", 1);
    PromptTokens tokens =
        PromptTokens.newBuilder().addChunks(TokenChunk.newBuilder().addIds(49406)).build();
    EncodedJob job =
        encodedJob(spec).toBuilder()
            .setPromptTokens(tokens)
            .setNegativePromptTokens(tokens)
            .build();
    redis.del(job.getPrompt().getRedisKey());

    RecordMetadata sent = submit(job);
    ConsumerGroups.awaitCommittedPast(config.kafka().bootstrapServers(), GROUP, sent, WAIT);

    List<byte[]> again =
        TopicProbe.readToEnd(
            config.kafka().bootstrapServers(),
            config.kafka().topics().tokenized(),
            spec.getJobId());
    assertThat(again).hasSize(1);
    TokenizedJob tokenized = TokenizedJob.parseFrom(again.getFirst());
    assertThat(tokenized.getRedo()).isTrue();
    assertThat(tokenized.getSpec()).isEqualTo(spec);
    assertThat(tokenized.getPrompt()).isEqualTo(tokens);
    assertThat(store.find(spec.getJobId()).orElseThrow().isTerminal()).isFalse();
  }

  @Test
  void missingEmbedding_ofAMessageWithoutTokens_failsTheJobSayingToSubmitItAgain()
      throws Exception {
    JobSpec spec = spec("tiny-random", 1);
    EncodedJob job = encodedJob(spec);
    redis.del(job.getPrompt().getRedisKey());

    submit(job);
    awaitState(spec.getJobId(), JobState.FAILED);

    assertThat(store.find(spec.getJobId()).orElseThrow().reason())
        .contains("lost from Redis")
        .contains("submit it again");
  }

  @Test
  void jobWhoseRecordRedisLost_runs_andItsRecordIsRecreatedFromTheMessage() throws Exception {
    JobSpec spec = spec("tiny-random", 1);

    publish(encodedJob(spec));
    awaitState(spec.getJobId(), JobState.SUCCEEDED);

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.spec()).isEqualTo(spec);
    assertThat(view.images()).hasSize(1);
  }

  @Test
  void redeliveredJobThatSucceeded_producesNoSecondSetOfImages() throws Exception {
    JobSpec spec = spec("tiny-random", 2);
    EncodedJob job = encodedJob(spec);
    submit(job);
    List<JobEvent> first = eventsUntilFinished(spec.getJobId());
    awaitState(spec.getJobId(), JobState.SUCCEEDED);

    RecordMetadata redelivered = publish(job);
    ConsumerGroups.awaitCommittedPast(config.kafka().bootstrapServers(), GROUP, redelivered, WAIT);

    List<JobEvent> all =
        parse(
            TopicProbe.readToEnd(
                config.kafka().bootstrapServers(),
                config.kafka().topics().events(),
                spec.getJobId()));
    assertThat(all).hasSameSizeAs(first);
    assertThat(all.stream().filter(JobEvent::hasFinished)).hasSize(1);
    assertThat(store.find(spec.getJobId()).orElseThrow().images()).hasSize(2);
  }

  @Test
  void pastDeadline_jobExpiresWithoutImages() throws Exception {
    JobSpec spec = spec("tiny-random", 1).toBuilder().setDeadlineUnixMs(1).build();

    submit(encodedJob(spec));
    List<JobEvent> seen = eventsUntilFinished(spec.getJobId());

    assertThat(seen).hasSize(1);
    assertThat(seen.getFirst().getFinished().getState()).isEqualTo(JobState.EXPIRED);
    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.state()).isEqualTo(JobState.EXPIRED);
    assertThat(view.reason()).contains("deadline").contains(DenoiseHandler.STAGE);
    assertThat(view.images()).isEmpty();
  }

  @Test
  void unknownModel_failsTheJobNamingTheInstalledModels() {
    JobSpec spec = spec("sd-99", 1);

    submit(encodedJob(spec));
    awaitState(spec.getJobId(), JobState.FAILED);

    assertThat(store.find(spec.getJobId()).orElseThrow().reason())
        .contains("sd-99")
        .contains("tiny-random");
  }
}
