package t2i.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
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
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.tensor.FloatTensor;
import t2i.pipeline.v1.EmbeddingRef;
import t2i.pipeline.v1.EncodedJob;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.PromptTokens;
import t2i.pipeline.v1.TokenChunk;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;

/** The encoder worker as deployed, against a real broker and Redis. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class EncoderWorkerTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String GROUP = "t2i-" + EncodeHandler.STAGE;
  private static final int BOS = 587;
  private static final int EOS = 588;

  @Inject EncoderWorkerConfig config;
  @Inject EncoderWorker worker;

  private final Random random = new Random();
  private KafkaProducer<String, byte[]> producer;
  private UnifiedJedis redis;
  private JobStore store;
  private TopicProbe encoded;

  @BeforeEach
  void connect() {
    producer = KafkaClients.producer(KafkaEndpoint.from(config.kafka()), "test");
    redis = StageConnections.openRedis(config.redis().url());
    store = new JobStore(redis, Duration.ofMinutes(5), InstantSource.system());
    encoded = TopicProbe.open(config.kafka().bootstrapServers(), config.kafka().topics().encoded());
  }

  @AfterEach
  void disconnect() {
    encoded.close();
    redis.close();
    producer.close();
  }

  private static JobSpec spec(String model) {
    return JobSpec.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setRequest(GenerateRequest.newBuilder().setPrompt("a prompt").setModel(model))
        .build();
  }

  private List<byte[]> encodedOutputsOf(JobSpec spec) {
    return TopicProbe.readToEnd(
        config.kafka().bootstrapServers(), config.kafka().topics().encoded(), spec.getJobId());
  }

  /** One window as the tokenizer frames it: BOS, the ids, EOS, then EOS padding. */
  private static PromptTokens window(int... ids) {
    TokenChunk.Builder chunk = TokenChunk.newBuilder().addIds(BOS);
    for (int id : ids) {
      chunk.addIds(id);
    }
    while (chunk.getIdsCount() < TinyRandom.WINDOW) {
      chunk.addIds(EOS);
    }
    return PromptTokens.newBuilder().addChunks(chunk).build();
  }

  /** A prompt no other test uses, so that the embedding cache has never seen it. */
  private PromptTokens freshPrompt() {
    return window(random.ints(12, 0, BOS).toArray());
  }

  /** Does what the tokenizer service does: publishes the tokenized job. */
  private RecordMetadata publish(TokenizedJob job) {
    return new Publisher(producer, Runnable::run)
        .send(config.kafka().topics().tokenized(), job.getSpec().getJobId(), job)
        .join();
  }

  /** Records the job, as the gateway does, then publishes it tokenized. */
  private TokenizedJob submit(JobSpec spec, PromptTokens prompt, PromptTokens negative) {
    store.create(spec);
    TokenizedJob job =
        TokenizedJob.newBuilder()
            .setSpec(spec)
            .setPrompt(prompt)
            .setNegativePrompt(negative)
            .build();
    publish(job);
    return job;
  }

  private EncodedJob awaitEncoded(JobSpec spec) throws Exception {
    return EncodedJob.parseFrom(encoded.awaitValue(spec.getJobId(), WAIT));
  }

  private FloatTensor embedding(EmbeddingRef ref) {
    byte[] bytes = redis.get(ref.getRedisKey().getBytes(StandardCharsets.UTF_8));
    assertThat(bytes).as("embedding under %s", ref.getRedisKey()).isNotNull();
    return FloatTensor.fromBytes(ref.getShapeList().stream().mapToInt(i -> i).toArray(), bytes);
  }

  @Test
  void tokenizedJob_becomesAnEncodedJobWithEmbeddingsInRedis() throws Exception {
    // The torch reference's prompt and empty negative prompt, with their expected embeddings.
    JsonNode reference = TinyRandom.reference();
    int[] ids = TinyRandom.referenceIds(reference);
    float[] expected = TinyRandom.floats(reference.get("last_hidden_state"));
    int size = TinyRandom.WINDOW * TinyRandom.HIDDEN;
    PromptTokens prompt = tokens(Arrays.copyOfRange(ids, 0, TinyRandom.WINDOW));
    PromptTokens negative = tokens(Arrays.copyOfRange(ids, TinyRandom.WINDOW, ids.length));
    JobSpec spec = spec("tiny-random");

    submit(spec, prompt, negative);
    EncodedJob job = awaitEncoded(spec);

    assertThat(job.getSpec()).isEqualTo(spec);
    for (EmbeddingRef ref : List.of(job.getPrompt(), job.getNegativePrompt())) {
      assertThat(ref.getRedisKey()).startsWith("t2i:emb:tiny-random:");
      assertThat(ref.getShapeList()).containsExactly(TinyRandom.WINDOW, TinyRandom.HIDDEN);
      assertThat(redis.strlen(ref.getRedisKey())).isEqualTo((long) size * Float.BYTES);
      assertThat(redis.pttl(ref.getRedisKey())).isPositive();
    }
    assertThat(job.getPrompt().getRedisKey()).isNotEqualTo(job.getNegativePrompt().getRedisKey());
    assertThat(embedding(job.getPrompt()).data())
        .containsExactly(Arrays.copyOfRange(expected, 0, size), within(1e-4f));
    assertThat(embedding(job.getNegativePrompt()).data())
        .containsExactly(Arrays.copyOfRange(expected, size, 2 * size), within(1e-4f));
    assertThat(store.state(spec.getJobId())).contains(JobState.ENCODING);
  }

  @Test
  void secondJobWithSamePrompt_doesNotRunTheTextEncoderAgain() throws Exception {
    PromptTokens prompt = freshPrompt();
    PromptTokens negative = freshPrompt();
    long before = worker.encoderRuns();

    JobSpec first = spec("tiny-random");
    submit(first, prompt, negative);
    EncodedJob firstEncoded = awaitEncoded(first);
    long afterFirst = worker.encoderRuns();
    JobSpec second = spec("tiny-random");
    submit(second, prompt, negative);
    EncodedJob secondEncoded = awaitEncoded(second);

    assertThat(afterFirst - before).as("prompt and negative prompt encoded once each").isEqualTo(2);
    assertThat(worker.encoderRuns()).isEqualTo(afterFirst);
    assertThat(secondEncoded.getPrompt()).isEqualTo(firstEncoded.getPrompt());
    assertThat(secondEncoded.getNegativePrompt()).isEqualTo(firstEncoded.getNegativePrompt());
    assertThat(store.state(second.getJobId())).contains(JobState.ENCODING);
  }

  @Test
  void negativePromptEqualToThePrompt_isEncodedOnce() throws Exception {
    PromptTokens prompt = freshPrompt();
    long before = worker.encoderRuns();

    JobSpec spec = spec("tiny-random");
    submit(spec, prompt, prompt);
    EncodedJob encoded = awaitEncoded(spec);

    assertThat(worker.encoderRuns() - before).isEqualTo(1);
    assertThat(encoded.getNegativePrompt()).isEqualTo(encoded.getPrompt());
  }

  @Test
  void promptOfTwoWindows_isEncodedIntoOneEmbeddingOfBothWindows() throws Exception {
    PromptTokens first = freshPrompt();
    PromptTokens second = freshPrompt();
    PromptTokens longPrompt =
        PromptTokens.newBuilder()
            .addChunks(first.getChunks(0))
            .addChunks(second.getChunks(0))
            .build();
    JobSpec spec = spec("tiny-random");

    submit(spec, longPrompt, first);
    EncodedJob job = awaitEncoded(spec);

    assertThat(job.getPrompt().getShapeList())
        .containsExactly(2 * TinyRandom.WINDOW, TinyRandom.HIDDEN);
    float[] both = embedding(job.getPrompt()).data();
    float[] firstAlone = embedding(job.getNegativePrompt()).data();
    assertThat(Arrays.copyOfRange(both, 0, firstAlone.length))
        .containsExactly(firstAlone, within(1e-6f));
  }

  @Test
  void weightedPrompt_isEmphasisedAndCachedApartFromTheUnweightedOne() throws Exception {
    PromptTokens plain = freshPrompt();
    TokenChunk.Builder emphasised = plain.getChunks(0).toBuilder();
    for (int i = 0; i < TinyRandom.WINDOW; i++) {
      emphasised.addWeights(i == 1 ? 1.5f : 1f);
    }
    PromptTokens weighted = PromptTokens.newBuilder().addChunks(emphasised).build();
    JobSpec spec = spec("tiny-random");

    submit(spec, weighted, plain);
    EncodedJob job = awaitEncoded(spec);

    assertThat(job.getPrompt().getRedisKey()).isNotEqualTo(job.getNegativePrompt().getRedisKey());
    float[] base = embedding(job.getNegativePrompt()).data();
    float[] scaled = embedding(job.getPrompt()).data();
    int hidden = TinyRandom.HIDDEN;
    // Token 1 grew by 1.5 relative to token 2; the window's mean is unchanged.
    float ratioBase = base[hidden] / base[2 * hidden];
    float ratioScaled = scaled[hidden] / scaled[2 * hidden];
    assertThat(ratioScaled)
        .isCloseTo(1.5f * ratioBase, within(1e-3f * Math.abs(ratioBase) + 1e-5f));
    assertThat(mean(scaled)).isCloseTo(mean(base), within(1e-5));
  }

  private static double mean(float[] values) {
    double sum = 0;
    for (float v : values) {
      sum += v;
    }
    return sum / values.length;
  }

  @Test
  void unknownModel_failsTheJobNamingTheInstalledModels() throws Exception {
    JobSpec spec = spec("sd-99");
    store.create(spec);
    RecordMetadata sent =
        publish(
            TokenizedJob.newBuilder()
                .setSpec(spec)
                .setPrompt(freshPrompt())
                .setNegativePrompt(freshPrompt())
                .build());

    await().atMost(WAIT).until(() -> store.state(spec.getJobId()).orElseThrow() == JobState.FAILED);
    String reason = store.find(spec.getJobId()).orElseThrow().reason();
    assertThat(reason).contains("sd-99").contains("tiny-random");
    ConsumerGroups.awaitCommittedPast(config.kafka().bootstrapServers(), GROUP, sent, WAIT);
    assertThat(encodedOutputsOf(spec)).isEmpty();
  }

  @Test
  void secondDeliveryOfAJobAlreadyHandedOn_isSkipped_withoutASecondOutput() throws Exception {
    JobSpec spec = spec("tiny-random");
    TokenizedJob job = submit(spec, freshPrompt(), freshPrompt());
    awaitEncoded(spec);
    await()
        .atMost(WAIT)
        .until(
            () ->
                store.progress(spec.getJobId()).orElseThrow().handedOff()
                    == JobState.ENCODING.getNumber());

    RecordMetadata again = publish(job);
    ConsumerGroups.awaitCommittedPast(config.kafka().bootstrapServers(), GROUP, again, WAIT);

    assertThat(encodedOutputsOf(spec)).hasSize(1);
  }

  @Test
  void redoRequest_encodesAJobALaterStageHas_andCarriesTheTokensOn() throws Exception {
    JobSpec spec = spec("tiny-random");
    store.create(spec);
    store.advance(spec.getJobId(), JobState.DENOISING);
    PromptTokens prompt = freshPrompt();

    publish(
        TokenizedJob.newBuilder()
            .setSpec(spec)
            .setPrompt(prompt)
            .setNegativePrompt(freshPrompt())
            .setRedo(true)
            .build());

    EncodedJob encodedJob = awaitEncoded(spec);
    assertThat(encodedJob.getPromptTokens()).isEqualTo(prompt);
    embedding(encodedJob.getPrompt());
    assertThat(store.state(spec.getJobId())).contains(JobState.DENOISING);
  }

  @Test
  void promptSeenLately_isPassedOnWithoutAskingRedis_andARedoEncodesWhatRedisLost()
      throws Exception {
    PromptTokens prompt = freshPrompt();
    PromptTokens negative = freshPrompt();
    JobSpec first = spec("tiny-random");
    submit(first, prompt, negative);
    EncodedJob firstEncoded = awaitEncoded(first);
    // Redis loses both embeddings (evicted, or restarted without its data).
    redis.del(
        firstEncoded.getPrompt().getRedisKey(), firstEncoded.getNegativePrompt().getRedisKey());
    long before = worker.encoderRuns();

    JobSpec second = spec("tiny-random");
    TokenizedJob secondJob = submit(second, prompt, negative);
    EncodedJob secondEncoded = awaitEncoded(second);

    assertThat(worker.encoderRuns())
        .as("the encoder remembers renewing these leases, so it does not look them up again")
        .isEqualTo(before);
    assertThat(secondEncoded.getPrompt()).isEqualTo(firstEncoded.getPrompt());

    // The diffusion worker finds no embedding and sends the job back marked redo.
    store.advance(second.getJobId(), JobState.DENOISING);
    publish(secondJob.toBuilder().setRedo(true).build());
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(worker.encoderRuns() - before).isEqualTo(2));
    await().atMost(WAIT).until(() -> encodedOutputsOf(second).size() == 2);
    embedding(secondEncoded.getPrompt());
    embedding(secondEncoded.getNegativePrompt());
  }

  @Test
  void jobWhoseRecordRedisLost_isEncoded_andItsRecordRecreated() throws Exception {
    JobSpec spec = spec("tiny-random");

    publish(
        TokenizedJob.newBuilder()
            .setSpec(spec)
            .setPrompt(freshPrompt())
            .setNegativePrompt(freshPrompt())
            .build());

    awaitEncoded(spec);
    assertThat(store.find(spec.getJobId()).orElseThrow().spec()).isEqualTo(spec);
    assertThat(store.state(spec.getJobId())).contains(JobState.ENCODING);
  }

  @Test
  void cancelledJob_isSkipped() throws Exception {
    JobSpec spec = spec("tiny-random");
    store.create(spec);
    store.finish(spec.getJobId(), JobState.CANCELLED, "cancelled by the client");
    long before = worker.encoderRuns();

    RecordMetadata sent =
        publish(
            TokenizedJob.newBuilder()
                .setSpec(spec)
                .setPrompt(freshPrompt())
                .setNegativePrompt(freshPrompt())
                .build());
    ConsumerGroups.awaitCommittedPast(config.kafka().bootstrapServers(), GROUP, sent, WAIT);

    assertThat(encodedOutputsOf(spec)).isEmpty();
    assertThat(worker.encoderRuns()).isEqualTo(before);
    assertThat(store.state(spec.getJobId())).contains(JobState.CANCELLED);
  }

  @Test
  void pastDeadline_jobExpiresWithoutBeingEncoded() throws Exception {
    JobSpec spec = spec("tiny-random").toBuilder().setDeadlineUnixMs(1).build();
    long before = worker.encoderRuns();

    store.create(spec);
    RecordMetadata sent =
        publish(
            TokenizedJob.newBuilder()
                .setSpec(spec)
                .setPrompt(freshPrompt())
                .setNegativePrompt(freshPrompt())
                .build());

    await()
        .atMost(WAIT)
        .until(() -> store.state(spec.getJobId()).orElseThrow() == JobState.EXPIRED);
    assertThat(store.find(spec.getJobId()).orElseThrow().reason())
        .contains("deadline")
        .contains(EncodeHandler.STAGE);
    ConsumerGroups.awaitCommittedPast(config.kafka().bootstrapServers(), GROUP, sent, WAIT);
    assertThat(encodedOutputsOf(spec)).isEmpty();
    assertThat(worker.encoderRuns()).isEqualTo(before);
  }

  private static PromptTokens tokens(int[] window) {
    TokenChunk.Builder chunk = TokenChunk.newBuilder();
    for (int id : window) {
      chunk.addIds(id);
    }
    return PromptTokens.newBuilder().addChunks(chunk).build();
  }
}
