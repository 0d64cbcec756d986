package t2i.encoder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Embedding keys whose time to live this encoder renewed in Redis lately. A prompt seen again
 * within {@code renewalInterval} of the last renewal counts as cached without a round trip to
 * Redis: its entry there still has at least {@code retention - renewalInterval} to live. Should
 * Redis lose it all the same (a restart without its data, an eviction), the diffusion worker sends
 * the job back marked redo, and a redo always asks Redis. Holds at most {@code maxKeys} keys;
 * thread-safe.
 */
final class RenewedLeases {

  private final @Nullable Cache<String, Boolean> renewed;

  /**
   * @param maxKeys most keys remembered; 0 remembers none, so that every job asks Redis
   * @param renewalInterval how long a renewal is trusted; zero trusts none
   * @param ticker the clock, in nanoseconds
   */
  RenewedLeases(int maxKeys, Duration renewalInterval, Ticker ticker) {
    if (maxKeys < 0 || renewalInterval.isNegative()) {
      throw new IllegalArgumentException(
          "maxKeys and renewalInterval must not be negative, were "
              + maxKeys
              + " and "
              + renewalInterval);
    }
    this.renewed =
        maxKeys == 0 || renewalInterval.isZero()
            ? null
            : Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfterWrite(renewalInterval)
                .ticker(ticker)
                // Evictions run on the caller's thread: no task on a shared pool.
                .executor(Runnable::run)
                .build();
  }

  /** Whether every key's lease was renewed within the renewal interval. */
  boolean allRenewedLately(List<String> keys) {
    if (renewed == null) {
      return false;
    }
    for (String key : keys) {
      if (renewed.getIfPresent(key) == null) {
        return false;
      }
    }
    return true;
  }

  /** The key's entry in Redis was just written or its time to live renewed. */
  void renewed(String key) {
    if (renewed != null) {
      renewed.put(key, Boolean.TRUE);
    }
  }

  /** Redis does not hold the key (or may not): the next look-up asks it. */
  void forget(String key) {
    if (renewed != null) {
      renewed.invalidate(key);
    }
  }

  /** Keys remembered now, for tests; evictions due are carried out first. */
  long size() {
    if (renewed == null) {
      return 0;
    }
    renewed.cleanUp();
    return renewed.estimatedSize();
  }
}
