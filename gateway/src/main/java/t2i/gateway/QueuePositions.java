package t2i.gateway;

import java.util.Optional;
import t2i.pipeline.job.QueuePlace;
import t2i.v1.QueuePosition;

/** Where a waiting job stands in the queue it waits in. */
@FunctionalInterface
interface QueuePositions {

  /** Nothing is known (Kafka was not measured lately). */
  QueuePositions UNKNOWN = place -> Optional.empty();

  /** The job's place; empty while the queue's consumers have not been measured. */
  Optional<QueuePosition> of(QueuePlace place);
}
