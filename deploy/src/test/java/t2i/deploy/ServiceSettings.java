package t2i.deploy;

import io.smallrye.config.ConfigMapping;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What one service reads, from its own code: the {@code t2i.*} settings of its {@code
 * ConfigMapping}, the environment variables its {@code application.properties} refers to, and the
 * names it gives itself in Kafka.
 */
record ServiceSettings(String module, Class<?> configMapping, @Nullable Class<?> stageHandler) {

  static final List<ServiceSettings> ALL =
      List.of(
          new ServiceSettings("gateway", load("t2i.gateway.GatewayConfig"), null),
          new ServiceSettings(
              "tokenizer-service",
              load("t2i.tokenizer.TokenizerServiceConfig"),
              load("t2i.tokenizer.TokenizeHandler")),
          new ServiceSettings(
              "encoder-worker",
              load("t2i.encoder.EncoderWorkerConfig"),
              load("t2i.encoder.EncodeHandler")),
          new ServiceSettings(
              "diffusion-worker",
              load("t2i.diffusion.DiffusionWorkerConfig"),
              load("t2i.diffusion.DenoiseHandler")),
          new ServiceSettings(
              "notifier", load("t2i.notifier.NotifierConfig"), load("t2i.notifier.NotifyHandler")));

  private static final Pattern ENV_PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)(:[^}]*)?}");

  static ServiceSettings of(String module) {
    return ALL.stream()
        .filter(s -> s.module.equals(module))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no service " + module));
  }

  private static Class<?> load(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new AssertionError(name + " is not on the test class path", e);
    }
  }

  /**
   * Every {@code t2i.*} setting the service reads; a map-valued group ends in {@code .*} (any key
   * below it).
   */
  Set<String> properties() {
    Set<String> keys = new TreeSet<>();
    String prefix = configMapping.getAnnotation(ConfigMapping.class).prefix();
    collect(configMapping, prefix, keys);
    return keys;
  }

  private static void collect(Class<?> group, String prefix, Set<String> keys) {
    for (Method method : group.getMethods()) {
      if (method.getParameterCount() > 0
          || method.isDefault()
          || Modifier.isStatic(method.getModifiers())) {
        continue;
      }
      String key = prefix + "." + kebab(method.getName());
      Class<?> type = method.getReturnType();
      if (type == Map.class) {
        keys.add(key + ".*");
      } else if (isLeaf(type)) {
        keys.add(key);
      } else {
        collect(type, key, keys);
      }
    }
  }

  private static boolean isLeaf(Class<?> type) {
    return type.isPrimitive()
        || type == String.class
        || type == Optional.class
        || type == List.class
        || type == Duration.class
        || type == Path.class
        || Number.class.isAssignableFrom(type)
        || type == Boolean.class
        || type.isEnum();
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  /** Whether the service reads {@code key}. */
  boolean reads(String key) {
    for (String known : properties()) {
      if (known.equals(key)
          || (known.endsWith(".*") && key.startsWith(known.substring(0, known.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  /** Whether an environment variable sets something the service reads. */
  boolean readsEnv(String name) throws java.io.IOException {
    if (placeholders().contains(name)) {
      return true;
    }
    return properties().stream().anyMatch(key -> !key.endsWith(".*") && envName(key).equals(name));
  }

  /** The environment variables the service's application.properties refers to. */
  Set<String> placeholders() throws java.io.IOException {
    Set<String> names = new TreeSet<>();
    Matcher m = ENV_PLACEHOLDER.matcher(applicationProperties());
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** The default a placeholder has in the service's application.properties. */
  String placeholderDefault(String name) throws java.io.IOException {
    Matcher m = ENV_PLACEHOLDER.matcher(applicationProperties());
    while (m.find()) {
      if (m.group(1).equals(name) && m.group(2) != null) {
        return m.group(2).substring(1);
      }
    }
    throw new AssertionError(module + " has no default for ${" + name + "}");
  }

  String applicationProperties() throws java.io.IOException {
    return Files.readString(
        Path.of(
            System.getProperty("repo.root"), module, "src/main/resources/application.properties"));
  }

  /** SmallRye Config's environment form of a property name. */
  static String envName(String key) {
    return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
  }

  /** The stage's name as the service uses it in Kafka (its consumer group is t2i-STAGE). */
  String stage() {
    try {
      Field field =
          Objects.requireNonNull(stageHandler, module + " has no stage").getDeclaredField("STAGE");
      field.setAccessible(true);
      return (String) field.get(null);
    } catch (ReflectiveOperationException e) {
      throw new LinkageError("no STAGE constant in " + stageHandler, e);
    }
  }
}
