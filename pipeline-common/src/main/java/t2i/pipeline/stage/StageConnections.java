package t2i.pipeline.stage;

import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisURIHelper;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.RedisSettings;
import t2i.pipeline.config.TopicNames;
import t2i.pipeline.embedding.EmbeddingCache;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.RequestIds;
import t2i.pipeline.job.TenantLedger;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.telemetry.JobTraces;
import t2i.pipeline.telemetry.Telemetry;

/**
 * What one service process shares among its threads: one Kafka producer and one (pooled) Redis
 * client, and the job store and tracker built on them. Owns both clients and closes them, the
 * producer first so that pending outputs are flushed while Redis is still there. Carries the
 * service's {@link Telemetry}, and the {@link JobTraces} that its stages and its publisher share.
 * Thread-safe.
 */
public final class StageConnections implements AutoCloseable {

  private static final Duration PRODUCER_CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final String service;
  private final KafkaSettings kafka;
  private final KafkaEndpoint endpoint;
  private final KafkaProducer<String, byte[]> producer;
  private final UnifiedJedis redis;
  private final Publisher publisher;
  private final JobStore store;
  private final JobTracker tracker;
  private final InstantSource clock;
  private final ExecutorService completions;
  private final Telemetry telemetry;
  private final JobTraces traces;

  private StageConnections(
      String service,
      KafkaSettings kafka,
      KafkaProducer<String, byte[]> producer,
      UnifiedJedis redis,
      Duration jobRetention,
      InstantSource clock,
      Telemetry telemetry) {
    this.service = service;
    this.telemetry = telemetry;
    this.traces = JobTraces.of(telemetry.openTelemetry());
    this.kafka = kafka;
    this.endpoint = KafkaEndpoint.from(kafka);
    this.producer = producer;
    this.redis = redis;
    this.clock = clock;
    // One virtual thread per acknowledged send: there are never more than the sends in flight,
    // which the producer's buffer and the stages' in-flight bounds limit.
    this.completions =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("kafka-ack-", 0).factory());
    this.publisher = new Publisher(producer, completions, traces);
    this.store = new JobStore(redis, jobRetention, clock);
    this.tracker =
        new JobTracker(store, publisher, kafka.topics().events(), clock, telemetry.meters());
  }

  /** Connects to Kafka and Redis and creates missing topics. */
  public static StageConnections open(
      String service,
      KafkaSettings kafka,
      RedisSettings redisSettings,
      InstantSource clock,
      Telemetry telemetry) {
    KafkaEndpoint endpoint = KafkaEndpoint.from(kafka);
    try (Admin admin = KafkaClients.admin(endpoint, service + "-admin")) {
      TopicSetup.ensureTopics(
          admin,
          kafka.topics().all(),
          kafka.topics().events(),
          kafka.topicPartitions(),
          kafka.topicReplicationFactor());
    }
    UnifiedJedis redis = openRedis(redisSettings.url());
    KafkaProducer<String, byte[]> producer;
    try {
      producer = KafkaClients.producer(endpoint, service);
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
    return new StageConnections(
        service, kafka, producer, redis, redisSettings.jobRetention(), clock, telemetry);
  }

  /**
   * How long a thread waits for a pooled Redis connection before it fails (transiently, so that its
   * work is retried). Never unbounded: a thread that finds every connection in use waits for one to
   * come back to the pool; when Redis stops, those connections break and are dropped, and the pool
   * cannot make new ones while Redis is away, so none ever comes back. With no bound the thread
   * waits forever: the fault suite saw a tokenizer's consumer thread do so after a Redis restart,
   * which stopped the stage for good.
   */
  private static final Duration POOL_MAX_WAIT = Duration.ofSeconds(2);

  /** A pooled, thread-safe Redis client; the caller owns it. */
  public static UnifiedJedis openRedis(String url) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "t2i.redis.url '" + url + "' is not a URL like redis://host:6379", e);
    }
    if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
      throw new IllegalArgumentException(
          "t2i.redis.url '" + url + "' must start with redis:// or rediss://");
    }
    if (!JedisURIHelper.isValid(uri)) {
      throw new IllegalArgumentException(
          "t2i.redis.url names no host and port: give one like redis://host:6379");
    }
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxWait(POOL_MAX_WAIT);
    // As RedisClient.create(uri) does (credentials, database, protocol and TLS from the URL), with
    // the pool bounded.
    return RedisClient.builder()
        .hostAndPort(JedisURIHelper.getHostAndPort(uri))
        .clientConfig(DefaultJedisClientConfig.builder(uri).build())
        .poolConfig(pool)
        .build();
  }

  public String service() {
    return service;
  }

  public KafkaEndpoint endpoint() {
    return endpoint;
  }

  public KafkaSettings kafkaSettings() {
    return kafka;
  }

  public TopicNames topics() {
    return kafka.topics();
  }

  public Publisher publisher() {
    return publisher;
  }

  /** The prompt embeddings, kept {@code retention} after their last use. */
  public EmbeddingCache embeddings(Duration retention) {
    return new EmbeddingCache(redis, retention);
  }

  /** The tenants' request-id claims. */
  public RequestIds requestIds() {
    return new RequestIds(redis);
  }

  /** The tenants' jobs in flight and recent submissions. */
  public TenantLedger tenantLedger() {
    return new TenantLedger(redis);
  }

  /** Whether Redis answers a PING now. */
  public boolean redisReachable() {
    return "PONG".equals(redis.ping());
  }

  public JobStore store() {
    return store;
  }

  public JobTracker tracker() {
    return tracker;
  }

  public InstantSource clock() {
    return clock;
  }

  public Telemetry telemetry() {
    return telemetry;
  }

  /** The spans of the jobs this process works on, shared by its stages and its publisher. */
  public JobTraces traces() {
    return traces;
  }

  @Override
  public void close() {
    try {
      producer.close(PRODUCER_CLOSE_TIMEOUT);
    } finally {
      try {
        completions.close();
      } finally {
        redis.close();
      }
    }
  }
}
