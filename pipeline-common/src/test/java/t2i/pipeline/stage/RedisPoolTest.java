package t2i.pipeline.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import t2i.local.LocalRedis;
import t2i.pipeline.failure.FailureKind;
import t2i.pipeline.failure.Failures;

class RedisPoolTest {

  private static final int POOL_SIZE = 8;

  /**
   * Every pooled connection is in use when Redis stops, and more callers wait for one. The
   * connections in use break and are dropped, and the pool cannot make new ones while Redis is
   * away: nothing ever comes back to the pool. The waiting callers must give up in bounded time
   * with a failure the stages retry, not wait forever (a stage's consumer thread among them would
   * stop the stage for good).
   */
  @Test
  void callersWaitingForAConnection_whenRedisStops_failTransientlyInBoundedTime() throws Exception {
    int waiting = 4;
    ExecutorService threads = Executors.newFixedThreadPool(POOL_SIZE + waiting);
    LocalRedis server = LocalRedis.start();
    try (UnifiedJedis redis = StageConnections.openRedis(server.url())) {
      CountDownLatch holding = new CountDownLatch(POOL_SIZE);
      List<Future<Throwable>> calls = new ArrayList<>();
      for (int i = 0; i < POOL_SIZE; i++) {
        calls.add(
            threads.submit(
                () -> {
                  holding.countDown();
                  // Holds its connection until Redis goes away.
                  return failureOf(() -> redis.blpop(60, "redis-pool-test-never-filled"));
                }));
      }
      assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(500); // the blocking calls have taken their connections
      for (int i = 0; i < waiting; i++) {
        calls.add(threads.submit(() -> failureOf(redis::ping)));
      }
      Thread.sleep(500); // the other callers wait for a connection
      server.close();

      for (Future<Throwable> call : calls) {
        // The pool's wait (2 s), with room for a slow machine.
        Throwable failure = call.get(30, TimeUnit.SECONDS);
        assertThat(Failures.classify(failure))
            .as("what a caller met: %s", failure)
            .isEqualTo(FailureKind.TRANSIENT);
      }
    } finally {
      server.close();
      threads.shutdownNow();
      assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static Throwable failureOf(Runnable call) {
    try {
      call.run();
      return new AssertionError("the call succeeded although Redis stopped");
    } catch (RuntimeException e) {
      return e;
    }
  }
}
