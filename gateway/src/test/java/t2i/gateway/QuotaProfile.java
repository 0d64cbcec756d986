package t2i.gateway;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Small per-tenant quotas and admission bound, one tenant per test, and topics of its own so that
 * the backlog the gateway measures is only this profile's.
 */
public class QuotaProfile implements QuarkusTestProfile {

  static final String BUSY_KEY = "t2i_busy-key";
  static final String RATE_KEY = "t2i_rate-key";
  static final String ADMISSION_KEY = "t2i_admission-key";
  static final String LATE_KEY = "t2i_late-key";
  static final String WATCHER_KEY = "t2i_watcher-key";
  static final String WEB_KEY = "t2i_web-key";
  static final int WEB_MAX_CALLS = 1;
  static final int MAX_STREAMS = 1;

  static final int MAX_IN_FLIGHT = 2;
  static final int MAX_SUBMISSIONS = 3;
  static final int MAX_QUEUED_JOBS = 20;
  static final long IN_FLIGHT_RETRY_MS = 7_000;
  static final long ADMISSION_RETRY_MS = 3_000;

  static final String JOBS_TOPIC = "quota-test.jobs";
  static final String TOKENIZED_TOPIC = "quota-test.tokenized";
  static final String ENCODED_TOPIC = "quota-test.encoded";

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.ofEntries(
        Map.entry("t2i.gateway.auth.enabled", "true"),
        Map.entry(
            "t2i.gateway.auth.keys",
            "busy:"
                + ApiKeys.hashHex(BUSY_KEY)
                + ",rate:"
                + ApiKeys.hashHex(RATE_KEY)
                + ",admission:"
                + ApiKeys.hashHex(ADMISSION_KEY)
                + ",late:"
                + ApiKeys.hashHex(LATE_KEY)
                + ",watcher:"
                + ApiKeys.hashHex(WATCHER_KEY)
                + ",web:"
                + ApiKeys.hashHex(WEB_KEY)),
        Map.entry("t2i.gateway.web.max-calls", Integer.toString(WEB_MAX_CALLS)),
        Map.entry("t2i.gateway.max-streams", Integer.toString(MAX_STREAMS)),
        Map.entry("t2i.gateway.quota.max-jobs-in-flight", Integer.toString(MAX_IN_FLIGHT)),
        Map.entry("t2i.gateway.quota.max-submissions", Integer.toString(MAX_SUBMISSIONS)),
        // A day: the window cannot roll over while a test runs, but at midnight UTC.
        Map.entry("t2i.gateway.quota.submission-window", "P1D"),
        Map.entry("t2i.gateway.quota.retry-after", "PT7S"),
        Map.entry("t2i.gateway.admission.max-queued-jobs", Integer.toString(MAX_QUEUED_JOBS)),
        Map.entry("t2i.gateway.admission.refresh-interval", "PT0.2S"),
        Map.entry("t2i.gateway.admission.retry-after", "PT3S"),
        Map.entry("t2i.kafka.topics.jobs", JOBS_TOPIC),
        Map.entry("t2i.kafka.topics.tokenized", TOKENIZED_TOPIC),
        Map.entry("t2i.kafka.topics.encoded", ENCODED_TOPIC),
        Map.entry("t2i.kafka.topics.events", "quota-test.events"),
        Map.entry("t2i.kafka.topics.dead-letters", "quota-test.dead-letters"));
  }
}
