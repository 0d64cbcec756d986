package t2i.pipeline.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.Pool;
import t2i.local.LocalRedis;
import t2i.pipeline.failure.FailureKind;
import t2i.pipeline.failure.Failures;

class RedisPoolTest {

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
    LocalRedis server = LocalRedis.start();
    ExecutorService threads = null;
    try (UnifiedJedis redis = StageConnections.openRedis(server.url())) {
      Pool<Connection> pool = ((RedisClient) redis).getPool();
      int poolSize = pool.getMaxTotal();
      threads = Executors.newFixedThreadPool(poolSize + waiting);
      List<Future<Throwable>> calls = new ArrayList<>();
      for (int i = 0; i < poolSize; i++) {
        // Holds its connection until Redis goes away.
        calls.add(
            threads.submit(() -> failureOf(() -> redis.blpop(60, "redis-pool-test-never-filled"))));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.getNumActive() == poolSize);
      for (int i = 0; i < waiting; i++) {
        calls.add(threads.submit(() -> failureOf(redis::ping)));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.getNumWaiters() == waiting);
      server.close();

      for (Future<Throwable> call : calls) {
        // The pool's wait (2 s), with room for a slow machine.
        Throwable failure = call.get(30, TimeUnit.SECONDS);
        assertThat(Failures.classify(failure))
            .as("what a caller met: %s", failure)
            .isEqualTo(FailureKind.TRANSIENT);
      }
    } finally {
      server.close(); // does nothing when the test got as far as stopping Redis itself
      if (threads != null) {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      }
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
