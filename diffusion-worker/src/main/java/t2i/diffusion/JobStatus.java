package t2i.diffusion;

import java.util.Collection;
import java.util.Map;
import t2i.v1.JobState;

/** Tells the engine which of its jobs ended elsewhere, e.g. were cancelled by their client. */
@FunctionalInterface
interface JobStatus {

  /** Of these job ids, those whose job already ended, with the state it ended in. */
  Map<String, JobState> ended(Collection<String> jobIds);

  JobStatus NEVER = ids -> Map.of();
}
