package t2i.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import t2i.launcher.LocalCluster;

/**
 * Gives test classes one {@link LocalCluster} for the whole test run (a {@code LocalCluster}
 * parameter of a {@code @BeforeAll} method): starting the four services takes long, and each test
 * only submits jobs of its own. The run's root store owns the cluster and closes it when the run
 * ends.
 */
final class SharedCluster implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SharedCluster.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent(Attempt.class, type -> Attempt.start(), Attempt.class)
        .cluster();
  }

  /** The one attempt to start the cluster: a failure is kept, so later classes fail at once. */
  private record Attempt(LocalCluster started, RuntimeException failure) implements AutoCloseable {

    static Attempt start() {
      try {
        return new Attempt(startCluster(), null);
      } catch (RuntimeException e) {
        return new Attempt(null, e);
      }
    }

    LocalCluster cluster() {
      if (failure != null) {
        throw failure;
      }
      return started;
    }

    @Override
    public void close() {
      if (started != null) {
        started.close();
      }
    }
  }

  private static LocalCluster startCluster() {
    Path home = Path.of(System.getProperty("repo.root"));
    LocalCluster.Options options =
        LocalCluster.Options.forCheckout(home)
            .withLogDir(home.resolve("system-tests/target/end-to-end-logs"))
            // The tests ask for sizes and step counts any model must take: the tiny one is fastest.
            .withDefaultModel("tiny-random")
            .withExtraConfig(Map.of());
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
