package t2i.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class KafkaLogLevelsTest {

  @Test
  void quiet_setsAnUnconfiguredCategoryToWarn() {
    Logger logger = Logger.getLogger("t2i.local.test.unconfigured");

    KafkaLogLevels.quiet(List.of("t2i.local.test.unconfigured"));

    assertThat(logger.getLevel()).isEqualTo(Level.WARNING);
  }

  @Test
  void quiet_keepsALevelTheHostConfigured() {
    Logger logger = Logger.getLogger("t2i.local.test.configured");
    logger.setLevel(Level.FINE);

    KafkaLogLevels.quiet(List.of("t2i.local.test.configured"));

    assertThat(logger.getLevel()).isEqualTo(Level.FINE);
  }
}
