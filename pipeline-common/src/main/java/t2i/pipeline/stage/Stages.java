package t2i.pipeline.stage;

/**
 * The names of the pipeline's stages and of their Kafka consumer groups, in one place: a stage
 * consumes in its group, and the gateway measures the same groups' lag for admission control, so
 * the two must never drift apart. Constants, so that configuration defaults can name them.
 */
public final class Stages {

  public static final String TOKENIZER = "tokenizer-service";
  public static final String ENCODER = "encoder-worker";
  public static final String DIFFUSION = "diffusion-worker";

  /** Not a stage of the pipeline: it reads the events and calls each ended job's callback. */
  public static final String NOTIFIER = "notifier";

  private static final String GROUP_PREFIX = "t2i-";

  public static final String TOKENIZER_GROUP = GROUP_PREFIX + TOKENIZER;
  public static final String ENCODER_GROUP = GROUP_PREFIX + ENCODER;
  public static final String DIFFUSION_GROUP = GROUP_PREFIX + DIFFUSION;
  public static final String NOTIFIER_GROUP = GROUP_PREFIX + NOTIFIER;

  private Stages() {}

  /** The consumer group a stage's workers share. */
  public static String consumerGroup(String stage) {
    return GROUP_PREFIX + stage;
  }
}
