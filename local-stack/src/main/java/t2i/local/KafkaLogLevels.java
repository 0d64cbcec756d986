package t2i.local;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an in-process broker from flooding the console. The broker logs through slf4j to whatever
 * backend the host application binds; this sets the broker's categories to WARN in that backend,
 * but only where the host has not configured a level for the category itself. Backends it does not
 * know are left alone.
 */
final class KafkaLogLevels {

  /** The broker's categories: its Scala core, its Java modules, and its state-change log. */
  static final List<String> BROKER_CATEGORIES =
      List.of("kafka", "org.apache.kafka", "state.change.logger");

  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(KafkaLogLevels.class);

  // java.util.logging holds loggers weakly: a collected logger would forget the level set here.
  private static final List<Logger> PINNED = new CopyOnWriteArrayList<>();

  private KafkaLogLevels() {}

  static void quietBroker() {
    quiet(BROKER_CATEGORIES);
  }

  /** Sets each category in {@code categories} to WARN unless the host configured it already. */
  static void quiet(List<String> categories) {
    String backend = LoggerFactory.getILoggerFactory().getClass().getName();
    try {
      if (backend.startsWith("ch.qos.logback.")) {
        categories.forEach(KafkaLogLevels::quietLogback);
      } else if (backend.startsWith("org.apache.logging.")) {
        categories.forEach(KafkaLogLevels::quietLog4j);
      } else {
        // JBoss LogManager (Quarkus) and slf4j-jdk14 are both java.util.logging underneath.
        categories.forEach(KafkaLogLevels::quietJul);
      }
    } catch (RuntimeException e) {
      // Verbose logs are a nuisance, not a reason to refuse to start the broker.
      LOG.debugf(e, "Could not lower the broker's log levels in %s", backend);
    }
  }

  private static void quietJul(String category) {
    Logger logger = Logger.getLogger(category);
    if (logger.getLevel() == null) {
      logger.setLevel(Level.WARNING);
    }
    PINNED.add(logger);
  }

  // Logback and Log4j 2 are reached reflectively: neither is a dependency of this module.

  private static void quietLogback(String category) {
    try {
      Object logger = LoggerFactory.getLogger(category);
      if (logger.getClass().getMethod("getLevel").invoke(logger) == null) {
        Class<?> levelType = Class.forName("ch.qos.logback.classic.Level", true, loaderOf(logger));
        Object warn = levelType.getField("WARN").get(null);
        logger.getClass().getMethod("setLevel", levelType).invoke(logger, warn);
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void quietLog4j(String category) {
    try {
      ClassLoader loader = loaderOf(LoggerFactory.getILoggerFactory());
      Class<?> logManager = Class.forName("org.apache.logging.log4j.LogManager", true, loader);
      Object context = logManager.getMethod("getContext", boolean.class).invoke(null, false);
      Object configuration = context.getClass().getMethod("getConfiguration").invoke(context);
      Map<?, ?> configured =
          (Map<?, ?>) configuration.getClass().getMethod("getLoggers").invoke(configuration);
      if (!configured.containsKey(category)) {
        Class<?> levelType = Class.forName("org.apache.logging.log4j.Level", true, loader);
        Class<?> configurator =
            Class.forName("org.apache.logging.log4j.core.config.Configurator", true, loader);
        Method setLevel = configurator.getMethod("setLevel", String.class, levelType);
        setLevel.invoke(null, category, levelType.getField("WARN").get(null));
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ClassLoader loaderOf(Object object) {
    ClassLoader loader = object.getClass().getClassLoader();
    return loader != null ? loader : ClassLoader.getSystemClassLoader();
  }
}
