package t2i.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the Prometheus alert rules are well formed. That they name only metrics
 * the services export is checked against the running services, in system-tests' ObservabilityTest.
 */
class DashboardAndAlertsTest {

  private static final Path DEPLOY = Path.of(System.getProperty("repo.root"), "deploy");

  @Test
  void dashboard_hasUniquePanelIds_andEveryGraphQueriesPrometheusWithAUnit() throws IOException {
    JsonNode dashboard =
        new ObjectMapper().readTree(DEPLOY.resolve("dashboards/t2i-overview.json").toFile());

    assertThat(dashboard.path("uid").asText()).isEqualTo("t2i-overview");
    Set<Integer> ids = new HashSet<>();
    int graphs = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(ids.add(panel.path("id").asInt()))
          .as("panel id %s is unique", panel.path("id"))
          .isTrue();
      assertThat(panel.path("gridPos").path("w").asInt())
          .as("panel %s has a size", panel.path("title"))
          .isPositive();
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      graphs++;
      assertThat(panel.path("title").asText()).isNotBlank();
      assertThat(panel.path("fieldConfig").path("defaults").path("unit").asText())
          .as("the unit of %s", panel.path("title"))
          .isNotBlank();
      assertThat(panel.path("targets")).as("the queries of %s", panel.path("title")).isNotEmpty();
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("expr").asText()).contains("t2i_");
        assertThat(target.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      }
    }
    assertThat(graphs).isGreaterThanOrEqualTo(10);
  }

  @Test
  void alertRules_eachHaveAnExpressionASeverityAndWhatToCheck() throws IOException {
    JsonNode rules = new YAMLMapper().readTree(DEPLOY.resolve("alerts/t2i-alerts.yaml").toFile());

    Set<String> names = new HashSet<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        String name = rule.path("alert").asText();
        assertThat(names.add(name)).as("alert %s is defined once", name).isTrue();
        assertThat(rule.path("expr").asText()).as(name).contains("t2i_");
        assertThat(rule.path("labels").path("severity").asText())
            .as(name)
            .isIn("warning", "critical");
        assertThat(rule.path("annotations").path("summary").asText()).as(name).isNotBlank();
        assertThat(rule.path("annotations").path("description").asText()).as(name).isNotBlank();
      }
    }
    assertThat(names)
        .contains(
            "T2iBacklogGrowing",
            "T2iDeadLetters",
            "T2iWorkerNotPolling",
            "T2iLatencySloFastBurn",
            "T2iLatencySloSlowBurn");
  }
}
