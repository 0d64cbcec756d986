package t2i.pipeline.failure;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/** One place decides what a failure means. */
class FailuresTest {

  @Test
  void theJobsOwnFault_isPermanent_evenWrappedByAFuture() {
    assertThat(Failures.classify(new CompletionException(new JobFailure("bad model"))))
        .isEqualTo(FailureKind.PERMANENT);
  }

  @Test
  void redisOrKafkaAway_isTransient() {
    assertThat(Failures.classify(new JedisConnectionException("refused")))
        .isEqualTo(FailureKind.TRANSIENT);
    assertThat(Failures.classify(new TimeoutException("no ack in time")))
        .isEqualTo(FailureKind.TRANSIENT);
    assertThat(Failures.classify(new IllegalStateException("wrapped", new ConnectException())))
        .isEqualTo(FailureKind.TRANSIENT);
    assertThat(
            Failures.classify(
                new JedisException(
                    "Could not get a resource from the pool", new RuntimeException())))
        .isEqualTo(FailureKind.TRANSIENT);
    assertThat(Failures.classify(new RejectedExecutionException("queue full")))
        .isEqualTo(FailureKind.TRANSIENT);
  }

  @Test
  void redisLoadingItsDataAfterARestart_isTransient_butOtherErrorRepliesAreNot() {
    assertThat(Failures.classify(new JedisDataException("LOADING Redis is loading the dataset")))
        .isEqualTo(FailureKind.TRANSIENT);
    assertThat(Failures.classify(new JedisDataException("ERR wrong number of arguments")))
        .isEqualTo(FailureKind.UNEXPECTED);
  }

  @Test
  void errorsOfTheVirtualMachine_andDeadEngines_areFatal() {
    assertThat(Failures.classify(new OutOfMemoryError())).isEqualTo(FailureKind.FATAL);
    assertThat(Failures.classify(new CompletionException(new StageFatalError("engine died"))))
        .isEqualTo(FailureKind.FATAL);
  }

  @Test
  void bugsAndNonRetriableKafkaErrors_areUnexpected() {
    assertThat(Failures.classify(new NullPointerException())).isEqualTo(FailureKind.UNEXPECTED);
    assertThat(Failures.classify(new RecordTooLargeException("too large")))
        .isEqualTo(FailureKind.UNEXPECTED);
  }
}
