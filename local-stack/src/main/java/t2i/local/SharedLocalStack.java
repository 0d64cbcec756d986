package t2i.local;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One {@link LocalStack} per JVM, for tests: started on the first {@link #get()}, stopped by a JVM
 * shutdown hook. Tests in one JVM thereby share one broker and one Redis server. Callers never
 * close it; tests that need isolation use their own topic names and keys.
 *
 * <p>Thread-safe. Test frameworks such as Quarkus load test code, and this class with it, in class
 * loaders of their own, one per application they start, and close those loaders between
 * applications. So that every copy of this class shares one stack, and that stack never runs on
 * classes from a closed loader, the stack always lives in the copy of this class that the system
 * class loader defines, when that loader can see it; the other copies ask that one.
 */
public final class SharedLocalStack {

  // Both guarded by SharedLocalStack.class.
  private static @Nullable StackEndpoints endpoints;
  private static @Nullable RuntimeException startFailure;

  private SharedLocalStack() {}

  /**
   * The endpoints of this JVM's stack, starting the stack on the first call.
   *
   * @throws StartupException if the stack does not come up; later calls fail the same way at once
   *     rather than wait out another start
   */
  // The first start's failure is kept on purpose: later callers fail at once with it as the cause
  // instead of waiting out another start.
  @SuppressWarnings("StaticAssignmentOfThrowable")
  public static synchronized StackEndpoints get() {
    RuntimeException failure = startFailure;
    if (failure != null) {
      throw new StartupException("The shared local stack failed to start earlier", failure);
    }
    StackEndpoints started = endpoints;
    if (started == null) {
      Class<?> owner = jvmWideCopy();
      try {
        started = owner == SharedLocalStack.class ? startHere() : askOwner(owner);
      } catch (RuntimeException e) {
        startFailure = e;
        throw e;
      }
      endpoints = started;
    }
    return started;
  }

  /** The copy of this class that holds the stack: the system class loader's, if it has one. */
  private static Class<?> jvmWideCopy() {
    ClassLoader system = ClassLoader.getSystemClassLoader();
    if (SharedLocalStack.class.getClassLoader() == system) {
      return SharedLocalStack.class;
    }
    try {
      return Class.forName(SharedLocalStack.class.getName(), true, system);
    } catch (ClassNotFoundException | LinkageError e) {
      return SharedLocalStack.class;
    }
  }

  private static StackEndpoints startHere() {
    LocalStack stack = LocalStack.start();
    Thread stop = new Thread(stack::close, "local-stack-stop");
    stop.setContextClassLoader(SharedLocalStack.class.getClassLoader());
    Runtime.getRuntime().addShutdownHook(stop);
    return stack.endpoints();
  }

  private static StackEndpoints askOwner(Class<?> owner) {
    try {
      Method serviceConfig = owner.getDeclaredMethod("serviceConfigOfJvmStack");
      serviceConfig.setAccessible(true);
      @SuppressWarnings("unchecked")
      Map<String, String> config = (Map<String, String>) serviceConfig.invoke(null);
      return StackEndpoints.fromServiceConfig(config);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new StartupException("The JVM's shared local stack failed to start", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Another version of " + owner + " is on the classpath", e);
    }
  }

  /**
   * Called reflectively by copies of this class in other class loaders. Only JDK types cross the
   * boundary: their copies of this module's types are different classes.
   */
  @SuppressWarnings("unused")
  private static Map<String, String> serviceConfigOfJvmStack() {
    return get().serviceConfig();
  }
}
