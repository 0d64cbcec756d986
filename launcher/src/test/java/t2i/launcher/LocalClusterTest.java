package t2i.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalClusterTest {

  @Test
  void theNotifierRuns_onlyWhereTheGatewayAcceptsCallbacks() {
    assertThat(LocalCluster.callbacksAllowed(Map.of())).isFalse();
    assertThat(LocalCluster.callbacksAllowed(Map.of("t2i.gateway.callbacks.allowed-schemes", " ")))
        .isFalse();
    assertThat(
            LocalCluster.callbacksAllowed(Map.of("t2i.gateway.callbacks.allowed-schemes", "http")))
        .isTrue();
  }

  @Test
  void theTokenizerService_runsUnlessTheGatewayQueuesJobsTokenized() {
    assertThat(LocalCluster.publishesTokenized(Map.of())).isFalse();
    assertThat(LocalCluster.publishesTokenized(Map.of("t2i.gateway.publish-tokenized", "false")))
        .isFalse();
    assertThat(LocalCluster.publishesTokenized(Map.of("t2i.gateway.publish-tokenized", "true")))
        .isTrue();
    assertThat(LocalCluster.publishesTokenized(Map.of("t2i.gateway.publish-tokenized", " TRUE ")))
        .isTrue();
  }
}
