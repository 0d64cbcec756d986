package t2i.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import t2i.launcher.LocalCluster;

/**
 * Gives test classes one {@link LocalCluster} for the whole test run (a {@code LocalCluster}
 * parameter of a {@code @BeforeAll} method): starting the services takes long, and each test only
 * submits jobs of its own. Every service sends its traces to one {@link TraceReceiver} (a {@code
 * TraceReceiver} parameter), as a cluster with tracing on would. The gateway accepts http callbacks
 * to this machine, which the notifier signs with {@link #SIGNING_SECRET}. The run's root store owns
 * the cluster and the receiver and closes them when the run ends.
 */
final class SharedCluster implements ParameterResolver {

  /** What the cluster's notifier signs every callback with. */
  static final String SIGNING_SECRET = "system-tests-signing-secret";

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SharedCluster.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == LocalCluster.class || type == TraceReceiver.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Attempt attempt =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .computeIfAbsent(Attempt.class, type -> Attempt.start(), Attempt.class);
    return parameter.getParameter().getType() == TraceReceiver.class
        ? attempt.traces()
        : attempt.cluster();
  }

  /** The one attempt to start the cluster: a failure is kept, so later classes fail at once. */
  private record Attempt(
      @Nullable LocalCluster started,
      @Nullable TraceReceiver receiver,
      @Nullable RuntimeException failure)
      implements AutoCloseable {

    static Attempt start() {
      @Nullable TraceReceiver receiver = null;
      try {
        receiver = TraceReceiver.start();
        return new Attempt(startCluster(receiver), receiver, null);
      } catch (IOException | RuntimeException e) {
        closeQuietly(receiver);
        return new Attempt(
            null,
            null,
            e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e));
      }
    }

    LocalCluster cluster() {
      if (failure != null) {
        throw failure;
      }
      return Objects.requireNonNull(started);
    }

    TraceReceiver traces() {
      if (failure != null) {
        throw failure;
      }
      return Objects.requireNonNull(receiver);
    }

    @Override
    public void close() {
      try {
        if (started != null) {
          started.close();
        }
      } finally {
        closeQuietly(receiver);
      }
    }

    private static void closeQuietly(@Nullable TraceReceiver receiver) {
      if (receiver != null) {
        receiver.close();
      }
    }
  }

  /**
   * The entries, and the workers' GPU provider when {@code -Dt2i.test.execution-provider} names
   * one: {@code deploy/gpu/check.sh} runs the end-to-end tests so, on the GPU build of the workers.
   */
  private static Map<String, String> withGpuProvider(Map<String, String> entries) {
    Map<String, String> config = new HashMap<>(entries);
    String provider = System.getProperty("t2i.test.execution-provider", "");
    if (!provider.isBlank()) {
      config.put("t2i.engine.execution-provider", provider);
      config.put("t2i.engine.device-id", System.getProperty("t2i.test.device-id", "0"));
    }
    return config;
  }

  private static LocalCluster startCluster(TraceReceiver receiver) {
    Path home = Path.of(System.getProperty("repo.root"));
    LocalCluster.Options options =
        LocalCluster.Options.forCheckout(home)
            .withLogDir(home.resolve("system-tests/target/end-to-end-logs"))
            // The tests ask for sizes and step counts any model must take: the tiny one is fastest.
            .withDefaultModel("tiny-random")
            .withExtraConfig(
                withGpuProvider(
                    Map.ofEntries(
                        Map.entry("quarkus.otel.sdk.disabled", "false"),
                        Map.entry("quarkus.otel.exporter.otlp.endpoint", receiver.endpoint()),
                        // Spans reach the receiver within a fraction of a second.
                        Map.entry("quarkus.otel.bsp.schedule.delay", "200ms"),
                        // Callbacks to the tests' receivers on this machine, retried within a
                        // second.
                        Map.entry("t2i.gateway.callbacks.allowed-schemes", "http"),
                        Map.entry("t2i.gateway.callbacks.allow-private-addresses", "true"),
                        Map.entry("t2i.notifier.allow-private-addresses", "true"),
                        Map.entry("t2i.notifier.default-signing-secret", SIGNING_SECRET),
                        Map.entry("t2i.notifier.first-backoff", "PT0.2S"),
                        Map.entry("t2i.notifier.max-backoff", "PT1S"),
                        // Bursts of jobs from one test (one tenant) queue up instead of being
                        // refused.
                        Map.entry("t2i.gateway.quota.max-jobs-in-flight", "1000"),
                        Map.entry("t2i.gateway.quota.max-submissions", "100000"))));
    try {
      return LocalCluster.start(options, line -> System.out.println("cluster: " + line));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the cluster", e);
    }
  }
}
