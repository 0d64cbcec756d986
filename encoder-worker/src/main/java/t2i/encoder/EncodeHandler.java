package t2i.encoder;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import t2i.pipeline.embedding.EmbeddingCache;
import t2i.pipeline.failure.JobFailure;
import t2i.pipeline.job.RedisKeys;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.stage.Stages;
import t2i.pipeline.tensor.FloatTensor;
import t2i.pipeline.v1.EmbeddingRef;
import t2i.pipeline.v1.EncodedJob;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.PromptTokens;
import t2i.pipeline.v1.TokenChunk;
import t2i.pipeline.v1.TokenizedJob;

/**
 * Turns a tokenized job's prompts into embeddings in Redis (reusing cached ones) and passes the job
 * on to the diffusion workers with the embeddings' keys. Encoding runs on the worker's executor,
 * never on the consumer thread.
 */
final class EncodeHandler implements JobHandler<TokenizedJob> {

  static final String STAGE = Stages.ENCODER;

  private final Map<String, TextEncoder> encoders;
  private final EmbeddingCache cache;
  private final RenewedLeases leases;
  private final Publisher publisher;
  private final String outputTopic;
  private final Executor executor;
  private final EncoderMetrics metrics;

  EncodeHandler(
      Map<String, TextEncoder> encoders,
      EmbeddingCache cache,
      RenewedLeases leases,
      Publisher publisher,
      String outputTopic,
      Executor executor,
      EncoderMetrics metrics) {
    this.encoders = Map.copyOf(encoders);
    this.cache = cache;
    this.leases = leases;
    this.publisher = publisher;
    this.outputTopic = outputTopic;
    this.executor = executor;
    this.metrics = metrics;
  }

  @Override
  public CompletionStage<?> handle(Delivery<TokenizedJob> delivery) {
    TokenizedJob job = delivery.value();
    JobSpec spec = job.getSpec();
    String model = spec.getRequest().getModel();
    TextEncoder encoder = encoders.get(model);
    if (encoder == null) {
      throw new JobFailure(
          "Model '"
              + model
              + "' is not installed on the encoder workers; available: "
              + encoders.keySet());
    }
    // ENCODING was recorded, not announced, as the gate let the job in: the next event a watcher
    // hears is the job's denoising.
    Prompt prompt = Prompt.of(model, job.getPrompt());
    Prompt negative = Prompt.of(model, job.getNegativePrompt());
    long lookupStart = System.nanoTime();
    List<String> keys = List.of(prompt.key, negative.key);
    // A redo comes from a diffusion worker that did not find an embedding: Redis is asked then.
    boolean remembered = !job.getRedo() && leases.allRenewedLately(keys);
    List<Boolean> cached = remembered ? List.of(true, true) : lookUp(keys);
    metrics.lookedUp(cached, remembered, System.nanoTime() - lookupStart);
    if (!cached.contains(false)) {
      // Nothing to encode: answered on this thread, without waking an encoder thread.
      EncodedJob encoded = encoded(job, reference(prompt, encoder), reference(negative, encoder));
      return publisher.send(outputTopic, spec.getJobId(), encoded);
    }
    return CompletableFuture.supplyAsync(
            () -> {
              EmbeddingRef promptRef = embed(encoder, model, prompt, cached.get(0));
              // A negative prompt equal to the prompt was just cached with it: not encoded twice.
              EmbeddingRef negativeRef =
                  negative.key.equals(prompt.key)
                      ? promptRef
                      : embed(encoder, model, negative, cached.get(1));
              return encoded(job, promptRef, negativeRef);
            },
            executor)
        .thenCompose(encoded -> publisher.send(outputTopic, spec.getJobId(), encoded));
  }

  /** Whether Redis holds each key, renewing the leases of those it does: one round trip. */
  private List<Boolean> lookUp(List<String> keys) {
    List<Boolean> held = cache.touchAll(keys);
    for (int i = 0; i < keys.size(); i++) {
      if (held.get(i)) {
        leases.renewed(keys.get(i));
      } else {
        leases.forget(keys.get(i));
      }
    }
    return held;
  }

  private static EncodedJob encoded(
      TokenizedJob job, EmbeddingRef promptRef, EmbeddingRef negativeRef) {
    return EncodedJob.newBuilder()
        .setSpec(job.getSpec())
        .setPrompt(promptRef)
        .setNegativePrompt(negativeRef)
        .setPromptTokens(job.getPrompt())
        .setNegativePromptTokens(job.getNegativePrompt())
        .build();
  }

  /** A tokenized prompt laid out for the text encoder, and the cache key of its embedding. */
  private static final class Prompt {
    final String key;
    final int[] ids;
    final float[] weights;
    final boolean weighted;
    // Positions per token window, and token windows.
    final int window;
    final int windows;

    private Prompt(
        String key, int[] ids, float[] weights, boolean weighted, int window, int windows) {
      this.key = key;
      this.ids = ids;
      this.weights = weights;
      this.weighted = weighted;
      this.window = window;
      this.windows = windows;
    }

    static Prompt of(String model, PromptTokens tokens) {
      if (tokens.getChunksCount() == 0) {
        throw new JobFailure("the job's tokenized prompt has no token window");
      }
      int window = tokens.getChunks(0).getIdsCount();
      int positions = window * tokens.getChunksCount();
      int[] ids = new int[positions];
      float[] weights = new float[positions];
      boolean weighted = false;
      int at = 0;
      for (TokenChunk chunk : tokens.getChunksList()) {
        if (chunk.getIdsCount() != window) {
          throw new JobFailure("the job's token windows differ in length");
        }
        boolean chunkWeighted = chunk.getWeightsCount() > 0;
        if (chunkWeighted && chunk.getWeightsCount() != window) {
          throw new JobFailure("a token window of the job has weights for only some positions");
        }
        for (int i = 0; i < window; i++) {
          ids[at + i] = chunk.getIds(i);
          weights[at + i] = chunkWeighted ? chunk.getWeights(i) : 1f;
        }
        weighted |= chunkWeighted;
        at += window;
      }
      String key = RedisKeys.embedding(model, ids, weighted ? weights : null);
      return new Prompt(key, ids, weights, weighted, window, tokens.getChunksCount());
    }
  }

  /** The reference to the prompt's embedding, encoded and cached first unless it was cached. */
  private EmbeddingRef embed(TextEncoder encoder, String model, Prompt prompt, boolean cached) {
    if (cached) {
      return reference(prompt, encoder);
    }
    FloatTensor embedding;
    try {
      long encodeStart = System.nanoTime();
      embedding = encoder.encode(prompt.ids, prompt.window);
      metrics.encoded(prompt.windows, System.nanoTime() - encodeStart);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while encoding", e);
    } catch (Exception e) {
      throw new IllegalStateException("text encoder failed for model " + model, e);
    }
    if (prompt.weighted) {
      PromptWeights.apply(embedding.data(), prompt.weights, prompt.window, embedding.shape()[1]);
    }
    cache.put(prompt.key, embedding);
    leases.renewed(prompt.key);
    return reference(prompt.key, embedding.shape());
  }

  /** The reference to a cached prompt embedding: one row of the encoder's width per position. */
  private static EmbeddingRef reference(Prompt prompt, TextEncoder encoder) {
    return reference(prompt.key, new int[] {prompt.ids.length, encoder.hiddenSize()});
  }

  private static EmbeddingRef reference(String key, int[] shape) {
    EmbeddingRef.Builder ref = EmbeddingRef.newBuilder().setRedisKey(key);
    for (int d : shape) {
      ref.addShape(d);
    }
    return ref.build();
  }
}
