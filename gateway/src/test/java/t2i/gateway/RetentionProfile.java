package t2i.gateway;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** Job records, images and request ids that expire after a few seconds. */
public class RetentionProfile implements QuarkusTestProfile {

  static final String RETENTION = "PT3S";

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("t2i.redis.job-retention", RETENTION);
  }
}
