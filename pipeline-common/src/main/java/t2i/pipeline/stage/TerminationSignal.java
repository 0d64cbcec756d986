package t2i.pipeline.stage;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.jboss.logging.Logger;

/**
 * Turns SIGTERM (how Kubernetes and {@code t2i up} stop a service) into an orderly stop that exits
 * 0: the consumers stop taking records, finish or hand back what they hold, commit, and the process
 * exits with success. The JVM's own handling would run the same shutdown but exit 143, which
 * supervisors count as a failure.
 *
 * <p>The JDK's only API for this is {@code sun.misc.Signal} (module jdk.unsupported, present in
 * every JDK and JRE); it is reached by reflection so that the build, which fails on every compiler
 * warning, does not warn about it.
 */
public final class TerminationSignal {

  private static final Logger LOG = Logger.getLogger(TerminationSignal.class);

  private TerminationSignal() {}

  /**
   * Runs {@code orderlyExit} (typically {@code Quarkus.asyncExit(0)}) on SIGTERM, on a thread of
   * its own.
   */
  public static void onTerm(String service, Runnable orderlyExit) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Object handler =
          Proxy.newProxyInstance(
              TerminationSignal.class.getClassLoader(),
              new Class<?>[] {handlerClass},
              (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                  LOG.infof("%s got SIGTERM: stopping in order", service);
                  Thread.ofPlatform().name("orderly-exit").start(orderlyExit);
                  return null;
                }
                return objectMethod(proxy, method, args);
              });
      Object term = signalClass.getConstructor(String.class).newInstance("TERM");
      signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, term, handler);
    } catch (ReflectiveOperationException | IllegalArgumentException e) {
      // No SIGTERM on this platform, or no sun.misc: the JVM's default handling stays.
      LOG.debugf(e, "SIGTERM cannot be handled here");
    }
  }

  /** equals, hashCode and toString of the proxy, as an object of its own. */
  private static Object objectMethod(Object proxy, Method method, Object[] args) {
    return switch (method.getName()) {
      case "equals" -> proxy == args[0];
      case "hashCode" -> System.identityHashCode(proxy);
      default -> "SIGTERM handler";
    };
  }
}
