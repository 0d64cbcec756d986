package t2i.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.health.SmallRyeHealth;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import t2i.local.LocalStackTestResource;
import t2i.local.TopicProbe;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.JobSubmitted;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;

/** The tokenizer service as deployed, against a real broker and Redis. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class TokenizerServiceTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Inject TokenizerServiceConfig config;
  @Inject SmallRyeHealthReporter health;

  private KafkaProducer<String, byte[]> producer;
  private UnifiedJedis redis;
  private JobStore store;
  private TopicProbe tokenized;

  @BeforeEach
  void connect() {
    producer = KafkaClients.producer(KafkaEndpoint.from(config.kafka()), "test");
    redis = StageConnections.openRedis(config.redis().url());
    store = new JobStore(redis, Duration.ofMinutes(5), InstantSource.system());
    tokenized =
        TopicProbe.open(config.kafka().bootstrapServers(), config.kafka().topics().tokenized());
  }

  @AfterEach
  void disconnect() {
    tokenized.close();
    redis.close();
    producer.close();
  }

  private static JobSpec spec(String prompt, String model, long deadlineUnixMs) {
    return JobSpec.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setRequest(GenerateRequest.newBuilder().setPrompt(prompt).setModel(model))
        .setDeadlineUnixMs(deadlineUnixMs)
        .build();
  }

  /** Does what the gateway does: records the job, then publishes it. */
  private JobSpec submit(JobSpec spec) {
    store.create(spec);
    new Publisher(producer, Runnable::run)
        .send(
            config.kafka().topics().jobs(),
            spec.getJobId(),
            JobSubmitted.newBuilder().setSpec(spec).build())
        .join();
    return spec;
  }

  @Test
  void servesItsLivenessAndReadiness_asNamedHealthChecks() {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              SmallRyeHealth ready = health.getReadiness();
              assertThat(ready.isDown()).isFalse();
              assertThat(ready.getPayload().toString())
                  .contains("\"tokenizer-service-dependencies\"");
            });
    SmallRyeHealth live = health.getLiveness();
    assertThat(live.isDown()).isFalse();
    assertThat(live.getPayload().toString()).contains("\"tokenizer-service-loops\"");
  }

  @Test
  void submittedJob_isTokenizedIntoFramedWindowsAndPassedOn() throws Exception {
    JobSpec spec = submit(spec("a red circle", "tiny-random", 0));

    TokenizedJob job = TokenizedJob.parseFrom(tokenized.awaitValue(spec.getJobId(), WAIT));

    assertThat(job.getSpec()).isEqualTo(spec);
    List<Integer> prompt = job.getPrompt().getChunks(0).getIdsList();
    List<Integer> negative = job.getNegativePrompt().getChunks(0).getIdsList();
    assertThat(prompt).hasSize(77);
    assertThat(negative).hasSize(77);
    int bos = negative.get(0);
    int eos = negative.get(1);
    // "a red circle" is three words, each in the tiny model's learned vocabulary.
    assertThat(prompt.get(0)).isEqualTo(bos);
    assertThat(prompt.get(4)).isEqualTo(eos);
    assertThat(prompt.subList(5, 77)).containsOnly(eos);
    assertThat(store.state(spec.getJobId())).contains(JobState.TOKENIZING);
  }

  @Test
  void longPromptAndShortNegative_encodeToTheSameNumberOfWindows() throws Exception {
    String longPrompt = String.join(" ", Collections.nCopies(100, "red"));
    JobSpec spec =
        submit(
            spec(longPrompt, "tiny-random", 0).toBuilder()
                .setRequest(
                    GenerateRequest.newBuilder()
                        .setPrompt(longPrompt)
                        .setNegativePrompt("blurry")
                        .setModel("tiny-random"))
                .build());

    TokenizedJob job = TokenizedJob.parseFrom(tokenized.awaitValue(spec.getJobId(), WAIT));

    assertThat(job.getPrompt().getChunksCount()).isEqualTo(2);
    assertThat(job.getNegativePrompt().getChunksCount()).isEqualTo(2);
    List<Integer> padding = job.getNegativePrompt().getChunks(1).getIdsList();
    // The added window is the empty prompt: BOS, EOS, then padding.
    assertThat(padding.get(1)).isEqualTo(padding.get(2));
    assertThat(job.getPrompt().getChunks(0).getWeightsList()).isEmpty();
  }

  @Test
  void attentionSyntax_givesEveryWindowPositionItsWeight() throws Exception {
    JobSpec spec = submit(spec("a (red:1.5) circle", "tiny-random", 0));

    TokenizedJob job = TokenizedJob.parseFrom(tokenized.awaitValue(spec.getJobId(), WAIT));

    List<Float> weights = job.getPrompt().getChunks(0).getWeightsList();
    assertThat(weights).hasSize(77);
    assertThat(weights.subList(0, 4)).containsExactly(1f, 1f, 1.5f, 1f);
    assertThat(job.getNegativePrompt().getChunks(0).getWeightsList()).isEmpty();
  }

  @Test
  void finishedJob_isSkipped() throws Exception {
    JobSpec cancelled = spec("x", "tiny-random", 0);
    store.create(cancelled);
    store.finish(cancelled.getJobId(), JobState.CANCELLED, "cancelled");
    submit(cancelled);
    JobSpec later = submit(spec("a blue square", "tiny-random", 0));
    // Records reach the tokenizer within moments of each other; once the later job is through,
    // the cancelled one has had its chance.
    tokenized.awaitValue(later.getJobId(), WAIT);

    assertThat(tokenized.valuesFor(cancelled.getJobId())).isEmpty();
    assertThat(store.state(cancelled.getJobId())).contains(JobState.CANCELLED);
  }

  @Test
  void pastDeadline_jobExpiresWithoutBeingTokenized() throws Exception {
    JobSpec expired = submit(spec("x", "tiny-random", 1));

    await()
        .atMost(WAIT)
        .until(() -> store.state(expired.getJobId()).orElseThrow() == JobState.EXPIRED);
    assertThat(store.find(expired.getJobId()).orElseThrow().reason()).contains("deadline");
    assertThat(tokenized.valuesFor(expired.getJobId())).isEmpty();
  }

  @Test
  void unknownModel_failsTheJobNamingTheInstalledModels() {
    JobSpec spec = submit(spec("x", "sd-99", 0));

    await().atMost(WAIT).until(() -> store.state(spec.getJobId()).orElseThrow() == JobState.FAILED);
    assertThat(store.find(spec.getJobId()).orElseThrow().reason()).contains("tiny-random");
  }
}
