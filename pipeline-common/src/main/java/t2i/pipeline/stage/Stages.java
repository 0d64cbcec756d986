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

  private static final String GROUP_PREFIX = "t2i-";

  public static final String TOKENIZER_GROUP = GROUP_PREFIX + TOKENIZER;
  public static final String ENCODER_GROUP = GROUP_PREFIX + ENCODER;
  public static final String DIFFUSION_GROUP = GROUP_PREFIX + DIFFUSION;

  private Stages() {}

  /** The consumer group a stage's workers share. */
  public static String consumerGroup(String stage) {
    return GROUP_PREFIX + stage;
  }
}
