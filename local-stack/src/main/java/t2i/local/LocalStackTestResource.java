package t2i.local;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Points a {@code @QuarkusTest} at this JVM's {@link SharedLocalStack}: use it with
 * {@code @WithTestResource(LocalStackTestResource.class)} or
 * {@code @QuarkusTestResource(LocalStackTestResource.class)}.
 *
 * <p>{@link #start()} supplies {@code t2i.kafka.bootstrap-servers} and {@code t2i.redis.url}.
 * {@link #stop()} leaves the stack running: it belongs to the JVM, so the next test application
 * reuses it instead of waiting for a new broker.
 */
public final class LocalStackTestResource implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    return SharedLocalStack.get().serviceConfig();
  }

  @Override
  public void stop() {
    // The shared stack stops with the JVM.
  }
}
