package t2i.gateway;

import t2i.pipeline.v1.JobEvent;

/** Something on this replica waiting for one job's events (a client's stream). */
interface JobWatcher {

  String jobId();

  /**
   * Called on the event listener's thread, in the order the job's events were published. Must not
   * block: anything that reads the job store runs elsewhere.
   */
  void onEvent(JobEvent event);

  /**
   * Called periodically on the event listener's thread: catches up from the job's record in case an
   * event was missed (e.g. published before this replica's listener caught up). Must not block: it
   * only schedules the read.
   */
  void reconcile();

  /** Once true, the watcher is removed. */
  boolean isDone();
}
