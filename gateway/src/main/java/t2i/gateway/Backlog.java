package t2i.gateway;

import java.util.OptionalLong;

/** How many accepted jobs wait ahead of the diffusion workers, as last measured. */
interface Backlog {

  /** Jobs not yet taken by the stage that works on them next; empty when not known. */
  OptionalLong queuedJobs();
}
