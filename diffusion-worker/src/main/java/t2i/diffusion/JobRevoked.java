package t2i.diffusion;

/**
 * A job stopped because its Kafka partition went to another worker, which runs it instead; nothing
 * is recorded for it here.
 */
final class JobRevoked extends RuntimeException {

  private static final long serialVersionUID = 1L;

  JobRevoked(String jobId) {
    super("job " + jobId + " moved to another worker", null, false, false);
  }
}
