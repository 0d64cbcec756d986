package t2i.pipeline.job;

import java.util.Optional;
import t2i.v1.JobState;

/**
 * Where a job waits for its next stage: the record that handed it on (topic, partition, offset),
 * and the state the job stays in until that stage takes it up.
 *
 * @param waitsIn the job's state while it waits here: QUEUED after the gateway published it, the
 *     state of the stage that handed it on otherwise
 */
public record QueuePlace(String topic, int partition, long offset, JobState waitsIn) {

  private static final String SEPARATOR = "|";

  /** Names the place's partition among the queue heads ({@link JobStore#queueHeads()}). */
  public String partitionKey() {
    return partitionKey(topic, partition);
  }

  public static String partitionKey(String topic, int partition) {
    return topic + SEPARATOR + partition;
  }

  /** As the job's record keeps it. */
  String encode() {
    return topic + SEPARATOR + partition + SEPARATOR + offset + SEPARATOR + waitsIn.getNumber();
  }

  /** The place a record kept; empty if the text is not one (a record from an older version). */
  static Optional<QueuePlace> decode(String text) {
    String[] parts = text.split("\\|", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    try {
      JobState state = JobState.forNumber(Integer.parseInt(parts[3]));
      if (state == null) {
        return Optional.empty();
      }
      return Optional.of(
          new QueuePlace(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]), state));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
