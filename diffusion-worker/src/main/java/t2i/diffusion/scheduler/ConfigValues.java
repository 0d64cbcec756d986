package t2i.diffusion.scheduler;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Maps the lower-case strings of diffusers' scheduler configs onto this package's enums. */
final class ConfigValues {
  private ConfigValues() {}

  /**
   * Returns the constant whose config value is {@code value}.
   *
   * @throws IllegalArgumentException naming {@code field} and the allowed values when none matches
   */
  static <E extends Enum<E>> E parse(
      Class<E> type, Function<E, String> configValue, String field, String value) {
    for (E constant : type.getEnumConstants()) {
      if (configValue.apply(constant).equals(value)) {
        return constant;
      }
    }
    throw new IllegalArgumentException(
        field + " must be one of " + allowed(type, configValue) + ", got '" + value + "'");
  }

  private static <E extends Enum<E>> String allowed(
      Class<E> type, Function<E, String> configValue) {
    return Arrays.stream(type.getEnumConstants())
        .map(configValue)
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
