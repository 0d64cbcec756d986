package t2i.pipeline.failure;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import redis.clients.jedis.exceptions.JedisBusyException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/** The one place that decides what a failure means; see {@link FailureKind}. */
public final class Failures {

  /**
   * Redis error replies that mean "not now": loading its data after a restart, a busy script, a
   * replica that lost its primary, a cluster that is reconfiguring.
   */
  private static final List<String> REDIS_NOT_NOW =
      List.of("LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS");

  /** How the reason of a job that failed inside t2i starts (see {@link #internalError}). */
  private static final String INTERNAL_ERROR = "Internal error in the ";

  private Failures() {}

  /**
   * The reason recorded on a job that failed inside t2i, not for anything of its own: submitting it
   * again may succeed.
   */
  public static String internalError(String stage) {
    return INTERNAL_ERROR
        + stage
        + "; the job was set aside for an operator. Submitting it again may succeed.";
  }

  /** Whether a FAILED job's reason says t2i failed ({@link #internalError}), not the job. */
  public static boolean isInternalError(String reason) {
    return reason.startsWith(INTERNAL_ERROR);
  }

  /** The dependency a failure came from, in words for a job's reason: Redis, Kafka or neither. */
  public static String dependencyOf(Throwable failure) {
    for (Throwable t = unwrap(failure); t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof JedisException) {
        return "Redis";
      }
      if (t instanceof KafkaException) {
        return "Kafka";
      }
    }
    return "its dependencies";
  }

  /** Classifies a failure, looking through the wrappers that futures add. */
  public static FailureKind classify(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof JobFailure) {
      return FailureKind.PERMANENT;
    }
    if (t instanceof StageFatalError || t instanceof Error) {
      return FailureKind.FATAL;
    }
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (isTransient(c)) {
        return FailureKind.TRANSIENT;
      }
    }
    return FailureKind.UNEXPECTED;
  }

  /** The failure itself, without {@link CompletionException} or {@link ExecutionException}. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static boolean isTransient(Throwable t) {
    if (t instanceof InfrastructureUnavailable
        || t instanceof RejectedExecutionException
        || t instanceof JedisConnectionException
        || t instanceof JedisBusyException
        || t instanceof RetriableException
        || t instanceof InterruptException
        || t instanceof ConnectException
        || t instanceof NoRouteToHostException
        || t instanceof SocketTimeoutException
        || t instanceof SocketException
        || t instanceof UnknownHostException) {
      return true;
    }
    if (t instanceof JedisDataException && t.getMessage() != null) {
      String message = t.getMessage();
      return REDIS_NOT_NOW.stream().anyMatch(message::startsWith);
    }
    // The pool gave no connection in time: Redis is slow or away.
    return t instanceof JedisException
        && t.getMessage() != null
        && t.getMessage().startsWith("Could not get a resource from the pool");
  }
}
