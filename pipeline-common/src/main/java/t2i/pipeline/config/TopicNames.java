package t2i.pipeline.config;

import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.NotBlank;
import java.util.List;

/** The Kafka topics that join the stages; every name can be changed by configuration. */
public interface TopicNames {

  /** gateway -> tokenizer-service: {@code JobSubmitted}. */
  @WithDefault("t2i.jobs")
  @NotBlank
  String jobs();

  /** tokenizer-service -> encoder-worker: {@code TokenizedJob}. */
  @WithDefault("t2i.tokenized")
  @NotBlank
  String tokenized();

  /** encoder-worker -> diffusion-worker: {@code EncodedJob}. */
  @WithDefault("t2i.encoded")
  @NotBlank
  String encoded();

  /** every stage -> every gateway replica: {@code JobEvent}. */
  @WithDefault("t2i.events")
  @NotBlank
  String events();

  /** Records a stage could not process: {@code DeadLetter}. */
  @WithDefault("t2i.dead-letters")
  @NotBlank
  String deadLetters();

  /** All topic names, for creating them. */
  default List<String> all() {
    return List.of(jobs(), tokenized(), encoded(), events(), deadLetters());
  }
}
