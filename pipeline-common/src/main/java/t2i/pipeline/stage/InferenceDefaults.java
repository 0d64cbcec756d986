package t2i.pipeline.stage;

/**
 * System properties that keep DJL local and predictable; applied by inference services before they
 * touch DJL. An explicit setting (command line) always wins.
 */
public final class InferenceDefaults {

  private InferenceDefaults() {}

  /**
   * DJL must never reach the network (no model zoo lookups, no usage reporting), and ONNX Runtime
   * is the default engine: otherwise the TensorRT jar on the classpath becomes the default and
   * fails on machines without its native libraries.
   */
  public static void apply() {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("ai.djl.default_engine", "OnnxRuntime");
    setIfAbsent("OPT_OUT_TRACKING", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
