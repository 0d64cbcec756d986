package t2i.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import t2i.pipeline.config.TopicNames;
import t2i.pipeline.stage.Stages;

/**
 * The Helm chart, checked offline: Helm's own lint and template, every rendered object against the
 * API schema it belongs to, and every name the chart shares with the services (consumer groups,
 * topics, ports, probe paths, settings) against what the services use.
 */
class HelmChartTest {

  /** Each service's component in the chart (its values section, its objects' names): its module. */
  private static final Map<String, String> MODULES =
      Map.of(
          "gateway", "gateway",
          "tokenizer", "tokenizer-service",
          "encoder", "encoder-worker",
          "diffusion", "diffusion-worker",
          "notifier", "notifier");

  /** Signing secrets and callbacks set, for the notifier's and the gateway's parts of the chart. */
  private static final Map<String, Object> CALLBACKS =
      Map.of(
          "notifier.signingSecrets.tenant-a", "s3cret-of-tenant-a",
          "notifier.defaultSigningSecret", "s3cret-by-default",
          "notifier.allowPrivateAddresses", true,
          "notifier.autoscaling.enabled", true,
          "gateway.callbacks.allowedSchemes[0]", "https",
          "gateway.callbacks.allowedSchemes[1]", "http",
          "gateway.callbacks.allowedHosts[0]", "*.example.com",
          "gateway.callbacks.allowedHosts[1]", "hooks.example.org",
          "gateway.callbacks.allowPrivateAddresses", true);

  /** Callbacks allowed: the least that deploys the notifier. */
  private static final Map<String, Object> CALLBACKS_ON =
      Map.of("gateway.callbacks.allowedSchemes[0]", "https");

  /** {@code sets}, with callbacks allowed. */
  private static Map<String, Object> withCallbacks(Map<String, Object> sets) {
    Map<String, Object> all = new java.util.HashMap<>(CALLBACKS_ON);
    all.putAll(sets);
    return all;
  }

  /** Value sets an operator is likely to use; each must render objects that pass every check. */
  static List<Map<String, Object>> valueSets() {
    return List.of(
        Map.of(),
        Map.of("diffusion.gpu.enabled", false, "encoder.gpu.enabled", true),
        Map.of("gateway.tls.enabled", true, "gateway.tls.secretName", "t2i-tls"),
        Map.of("kafka.strimzi.enabled", true, "redis.deploy.enabled", true),
        Map.of("keda.enabled", false, "gateway.autoscaling.enabled", false),
        Map.of(
            "redis.existingSecret", "redis-credentials",
            "gateway.auth.existingSecret", "api-keys",
            "kafka.clientProperties.security\\.protocol", "SASL_SSL",
            "models.defaultModel", "sd-turbo",
            "diffusion.autoscaling.scaleToZero", true),
        CALLBACKS,
        withCallbacks(Map.of("notifier.existingSecret", "webhook-secrets")),
        Map.of("gateway.publishTokenized", true));
  }

  @Test
  void helmLint_findsNothing() {
    LintResult result = new Helm(RenderedChart.CHART).lint().strict().call();

    assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]"));
    assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
  }

  @ParameterizedTest
  @MethodSource("valueSets")
  void everyRenderedObject_passesItsApisSchemaStrictly(Map<String, Object> sets) throws Exception {
    RenderedChart chart = RenderedChart.render(sets);

    assertThat(chart.objects()).isNotEmpty();
    for (JsonNode object : chart.objects()) {
      ApiSchemas.check(object);
    }
  }

  @Test
  void theSchemaCheck_catchesAMisspeltField() {
    JsonNode deployment = RenderedChart.render(Map.of()).get("Deployment", "t2i-gateway");
    ((ObjectNode) deployment.path("spec")).put("replica", 2);

    assertThatThrownBy(() -> ApiSchemas.check(deployment))
        .hasMessageContaining("replica")
        .hasMessageContaining("not defined");
  }

  @Test
  void rendersEveryService_eachWithProbesLimitsAndATerminationGrace() {
    RenderedChart chart = RenderedChart.render(CALLBACKS_ON);

    assertThat(MODULES.values())
        .containsExactlyInAnyOrderElementsOf(
            ServiceSettings.ALL.stream().map(ServiceSettings::module).toList());
    assertThat(chart.ofKind("Deployment")).hasSize(MODULES.size());
    for (String component : MODULES.keySet()) {
      JsonNode deployment = chart.get("Deployment", "t2i-" + component);
      JsonNode container = RenderedChart.container(deployment);
      assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
          .isEqualTo("/q/health/live");
      assertThat(container.path("startupProbe").path("httpGet").path("path").asText())
          .isEqualTo("/q/health/started");
      assertThat(container.path("resources").path("limits").path("memory").isMissingNode())
          .isFalse();
      assertThat(container.path("name").asText()).isEqualTo(MODULES.get(component));
      JsonNode pod = deployment.path("spec").path("template").path("spec");
      assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
      chart.get("PodDisruptionBudget", "t2i-" + component);
    }
    JsonNode diffusion = chart.get("Deployment", "t2i-diffusion").path("spec").path("template");
    assertThat(diffusion.path("spec").path("terminationGracePeriodSeconds").asInt())
        .isGreaterThanOrEqualTo(90);
  }

  @Test
  void gpuDiffusionWorkers_askForAGpu_landOnGpuNodes_andRunTheGpuImage() {
    JsonNode pod =
        RenderedChart.render(Map.of())
            .get("Deployment", "t2i-diffusion")
            .path("spec")
            .path("template")
            .path("spec");
    JsonNode container = pod.path("containers").get(0);

    assertThat(container.path("resources").path("limits").path("nvidia.com/gpu").asInt())
        .isEqualTo(1);
    assertThat(pod.path("nodeSelector").path("nvidia.com/gpu.present").asText()).isEqualTo("true");
    assertThat(pod.path("tolerations").findValuesAsText("key")).contains("nvidia.com/gpu");
    assertThat(container.path("image").asText()).contains("t2i-diffusion-worker-gpu:");
    assertThat(RenderedChart.env(container, "T2I_ENGINE_EXECUTION_PROVIDER")).contains("CUDA");
  }

  @Test
  void workersOffGpuNodes_runOnTheCpu_andTensorRtWithFp16IsAValue() {
    RenderedChart chart =
        RenderedChart.render(
            Map.of("diffusion.gpu.executionProvider", "TensorRT", "diffusion.gpu.fp16", true));
    JsonNode diffusion = RenderedChart.container(chart.get("Deployment", "t2i-diffusion"));
    assertThat(RenderedChart.env(diffusion, "T2I_ENGINE_EXECUTION_PROVIDER")).contains("TensorRT");
    assertThat(RenderedChart.env(diffusion, "T2I_ENGINE_FP16")).contains("true");
    JsonNode encoder = RenderedChart.container(chart.get("Deployment", "t2i-encoder"));
    assertThat(RenderedChart.env(encoder, "T2I_ENGINE_EXECUTION_PROVIDER"))
        .as("the encoder is off GPU nodes by default")
        .isEmpty();
  }

  @Test
  void everyService_isScrapedOnItsManagementPort_andTracesWhenACollectorIsNamed() {
    RenderedChart plain = RenderedChart.render(CALLBACKS_ON);
    RenderedChart traced =
        RenderedChart.render(
            withCallbacks(Map.of("observability.otlpEndpoint", "http://collector:4317")));
    for (String component : MODULES.keySet()) {
      JsonNode deployment = plain.get("Deployment", "t2i-" + component);
      JsonNode annotations =
          deployment.path("spec").path("template").path("metadata").path("annotations");
      JsonNode container = RenderedChart.container(deployment);
      assertThat(annotations.path("prometheus.io/scrape").asText()).isEqualTo("true");
      assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo("/q/metrics");
      assertThat(annotations.path("prometheus.io/port").asInt())
          .isEqualTo(RenderedChart.port(container, "management"));
      assertThat(RenderedChart.env(container, "QUARKUS_OTEL_SDK_DISABLED")).isEmpty();
      assertThat(RenderedChart.env(container, "T2I_LOG_JSON")).contains("true");

      JsonNode tracedContainer =
          RenderedChart.container(traced.get("Deployment", "t2i-" + component));
      assertThat(RenderedChart.env(tracedContainer, "QUARKUS_OTEL_SDK_DISABLED")).contains("false");
      assertThat(RenderedChart.env(tracedContainer, "QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT"))
          .contains("http://collector:4317");
    }
  }

  @Test
  void modelsAreMountedReadOnly_neverBakedIn_byTheServicesThatReadThem() {
    RenderedChart chart = RenderedChart.render(Map.of());
    for (JsonNode deployment : chart.ofKind("Deployment")) {
      JsonNode container = RenderedChart.container(deployment);
      ServiceSettings service = ServiceSettings.of(container.path("name").asText());
      Optional<JsonNode> mount =
          RenderedChart.elements(container.path("volumeMounts"))
              .filter(m -> m.path("mountPath").asText().equals("/models"))
              .findFirst();
      boolean settings =
          chart.configFiles(deployment).values().stream()
              .anyMatch(file -> file.containsKey("t2i.models.dir"));
      if (service.reads("t2i.models.dir")) {
        assertThat(mount).as("%s mounts the models", service.module()).isPresent();
        assertThat(mount.orElseThrow().path("readOnly").asBoolean()).isTrue();
        assertThat(settings).as("%s is told where the models are", service.module()).isTrue();
      } else {
        // The notifier reads no models: no volume to schedule on, no t2i.models.* to refuse.
        assertThat(mount).as("%s mounts no models", service.module()).isEmpty();
        assertThat(
                RenderedChart.elements(
                        deployment.path("spec").path("template").path("spec").path("volumes"))
                    .map(v -> v.path("name").asText()))
            .doesNotContain("models");
        assertThat(settings).as("%s gets no model settings", service.module()).isFalse();
      }
    }
  }

  @Test
  void scaledObjects_watchEachStagesOwnConsumerGroupAndInputTopic() throws Exception {
    // The notifier's is off by default.
    RenderedChart chart =
        RenderedChart.render(withCallbacks(Map.of("notifier.autoscaling.enabled", true)));
    Properties settings = chart.serviceSettings();
    Map<String, String> inputTopicSetting =
        Map.of(
            "tokenizer-service", "t2i.kafka.topics.jobs",
            "encoder-worker", "t2i.kafka.topics.tokenized",
            "diffusion-worker", "t2i.kafka.topics.encoded",
            "notifier", "t2i.kafka.topics.events");
    Map<String, String> topicDefault =
        Map.of(
            "tokenizer-service", defaultOf("jobs"),
            "encoder-worker", defaultOf("tokenized"),
            "diffusion-worker", defaultOf("encoded"),
            "notifier", defaultOf("events"));
    Map<String, String> component =
        Map.of(
            "tokenizer-service", "tokenizer",
            "encoder-worker", "encoder",
            "diffusion-worker", "diffusion",
            "notifier", "notifier");

    for (String module : inputTopicSetting.keySet()) {
      ServiceSettings service = ServiceSettings.of(module);
      JsonNode scaled = chart.get("ScaledObject", "t2i-" + component.get(module));
      JsonNode kafka = scaled.path("spec").path("triggers").get(0).path("metadata");
      assertThat(kafka.path("consumerGroup").asText())
          .isEqualTo(Stages.consumerGroup(service.stage()));
      assertThat(kafka.path("topic").asText())
          .isEqualTo(settings.getProperty(inputTopicSetting.get(module)))
          .isEqualTo(topicDefault.get(module));
      assertThat(kafka.path("bootstrapServers").asText())
          .isEqualTo(settings.getProperty("t2i.kafka.bootstrap-servers"));
      String target = scaled.path("spec").path("scaleTargetRef").path("name").asText();
      assertThat(RenderedChart.container(chart.get("Deployment", target)).path("name").asText())
          .isEqualTo(module);
      assertThat(scaled.path("spec").path("maxReplicaCount").asInt())
          .isLessThanOrEqualTo(
              Integer.parseInt(settings.getProperty("t2i.kafka.topic-partitions")));
    }
  }

  @Test
  void aStageAllowedMoreReplicasThanPartitions_isRefusedWithTheReason() {
    assertThatThrownBy(() -> RenderedChart.render(Map.of("diffusion.autoscaling.maxReplicas", 40)))
        .hasMessageContaining("diffusion.autoscaling.maxReplicas (40)")
        .hasMessageContaining("kafka.topicPartitions (12)");
  }

  @Test
  void authenticationWithoutKeys_isRefusedAtInstallWithWhatToSet() {
    assertThatThrownBy(() -> new Helm(RenderedChart.CHART).template().withName("t2i").call())
        .hasMessageContaining("gateway.auth.keys")
        .hasMessageContaining("./t2i api-key");
  }

  @Test
  void portsAndProbes_areWhatTheServicesServe() throws Exception {
    RenderedChart chart = RenderedChart.render(CALLBACKS_ON);
    for (var entry : MODULES.entrySet()) {
      ServiceSettings service = ServiceSettings.of(entry.getValue());
      JsonNode container =
          RenderedChart.container(chart.get("Deployment", "t2i-" + entry.getKey()));
      int management = RenderedChart.port(container, "management");
      // The service takes its management port from T2I_MANAGEMENT_PORT, which the chart sets to
      // the port its probes use; the chart's default equals the service's own.
      assertThat(service.placeholders()).contains("T2I_MANAGEMENT_PORT");
      assertThat(RenderedChart.env(container, "T2I_MANAGEMENT_PORT"))
          .contains(Integer.toString(management));
      assertThat(Integer.toString(management))
          .isEqualTo(service.placeholderDefault("T2I_MANAGEMENT_PORT"));
      assertThat(service.applicationProperties()).contains("quarkus.management.enabled=true");
      assertThat(service.applicationProperties()).doesNotContain("root-path");
    }
    JsonNode gateway = RenderedChart.container(chart.get("Deployment", "t2i-gateway"));
    int grpc = RenderedChart.port(gateway, "grpc");
    assertThat(RenderedChart.env(gateway, "T2I_GRPC_PORT")).contains(Integer.toString(grpc));
    assertThat(Integer.toString(grpc))
        .isEqualTo(ServiceSettings.of("gateway").placeholderDefault("T2I_GRPC_PORT"));
    assertThat(gateway.path("readinessProbe").path("grpc").path("port").asInt()).isEqualTo(grpc);
    JsonNode service = chart.get("Service", "t2i-gateway");
    assertThat(service.path("spec").path("ports").get(0).path("targetPort").asText())
        .isEqualTo("grpc");
    // The web page: the port the gateway serves it on, and the Service in front of it.
    int web = RenderedChart.port(gateway, "http");
    assertThat(RenderedChart.env(gateway, "T2I_HTTP_PORT")).contains(Integer.toString(web));
    assertThat(Integer.toString(web))
        .isEqualTo(ServiceSettings.of("gateway").placeholderDefault("T2I_HTTP_PORT"));
    assertThat(service.path("spec").path("ports").get(1).path("targetPort").asText())
        .isEqualTo("http");
  }

  @ParameterizedTest
  @MethodSource("valueSets")
  void everySettingTheChartPasses_isOneTheServicesRead(Map<String, Object> sets) throws Exception {
    RenderedChart chart = RenderedChart.render(sets);

    // The shared settings file is read by every service: each key must be every service's.
    for (String key : chart.serviceSettings().stringPropertyNames()) {
      for (ServiceSettings service : ServiceSettings.ALL) {
        assertThat(service.reads(key)).as("%s reads %s", service.module(), key).isTrue();
      }
    }
    // A service refuses a t2i.* key it does not read: every key of every file it loads is its own.
    for (JsonNode deployment : chart.ofKind("Deployment")) {
      JsonNode container = RenderedChart.container(deployment);
      ServiceSettings service = ServiceSettings.of(container.path("name").asText());
      assertThat(RenderedChart.configLocations(container))
          .first()
          .isEqualTo("/etc/t2i/config/application.properties");
      for (var file : chart.configFiles(deployment).entrySet()) {
        for (String key : file.getValue().stringPropertyNames()) {
          assertThat(service.reads(key))
              .as("%s reads %s from %s", service.module(), key, file.getKey())
              .isTrue();
        }
      }
      for (String name : RenderedChart.envNames(container)) {
        assertThat(service.readsEnv(name) || READ_ELSEWHERE.containsKey(name))
            .as("%s reads the environment variable %s", service.module(), name)
            .isTrue();
      }
    }
  }

  @Test
  void signingSecrets_landInTheNotifiersSecret_neverInAConfigMapOrAnEnvironment() {
    RenderedChart chart = RenderedChart.render(CALLBACKS);

    JsonNode secret = chart.get("Secret", "t2i-notifier");
    assertThat(secret.path("type").asText()).isEqualTo("Opaque");
    JsonNode notifier = chart.get("Deployment", "t2i-notifier");
    Properties signing =
        Objects.requireNonNull(
            chart.configFiles(notifier).get("/etc/t2i/notifier/signing-secrets.properties"),
            "the notifier reads its Secret's settings file");
    assertThat(signing.stringPropertyNames())
        .containsExactlyInAnyOrder(
            "t2i.notifier.signing-secrets.\"tenant-a\"", "t2i.notifier.default-signing-secret");
    assertThat(signing.getProperty("t2i.notifier.signing-secrets.\"tenant-a\""))
        .isEqualTo("s3cret-of-tenant-a");
    assertThat(signing.getProperty("t2i.notifier.default-signing-secret"))
        .isEqualTo("s3cret-by-default");
    JsonNode mount =
        RenderedChart.elements(RenderedChart.container(notifier).path("volumeMounts"))
            .filter(m -> m.path("mountPath").asText().equals("/etc/t2i/notifier"))
            .findFirst()
            .orElseThrow();
    assertThat(mount.path("readOnly").asBoolean()).isTrue();
    // Nothing but the Secret holds them: not the ConfigMap every service reads, not an environment.
    for (JsonNode object : chart.objects()) {
      if (object.path("kind").asText().equals("Secret")) {
        continue;
      }
      assertThat(object.toString())
          .as("%s %s", object.path("kind").asText(), object.path("metadata").path("name").asText())
          .doesNotContain("s3cret-of-tenant-a")
          .doesNotContain("s3cret-by-default");
    }
    // No other service mounts them.
    for (JsonNode deployment : chart.ofKind("Deployment")) {
      if (!deployment.path("metadata").path("name").asText().equals("t2i-notifier")) {
        assertThat(
                RenderedChart.elements(
                        deployment.path("spec").path("template").path("spec").path("volumes"))
                    .map(v -> v.path("secret").path("secretName").asText()))
            .doesNotContain("t2i-notifier");
      }
    }
    // A change of secrets rolls the notifier, which reads them when it starts.
    JsonNode annotations =
        notifier.path("spec").path("template").path("metadata").path("annotations");
    assertThat(annotations.path("checksum/signing-secrets").asText()).hasSize(64);
  }

  @Test
  void signingSecrets_fromAnExistingSecret_areMountedAsIs_andTheChartMakesNone() {
    RenderedChart chart =
        RenderedChart.render(withCallbacks(Map.of("notifier.existingSecret", "webhook-secrets")));

    assertThat(chart.find("Secret", "t2i-notifier")).isEmpty();
    JsonNode notifier = chart.get("Deployment", "t2i-notifier");
    assertThat(RenderedChart.configLocations(RenderedChart.container(notifier)))
        .contains("/etc/t2i/notifier/signing-secrets.properties");
    assertThat(
            RenderedChart.elements(
                    notifier.path("spec").path("template").path("spec").path("volumes"))
                .map(v -> v.path("secret").path("secretName").asText()))
        .contains("webhook-secrets");
  }

  @Test
  void withoutSigningSecrets_thereIsNoSecretToMount() {
    RenderedChart chart = RenderedChart.render(CALLBACKS_ON);

    assertThat(chart.find("Secret", "t2i-notifier")).isEmpty();
    JsonNode notifier = chart.get("Deployment", "t2i-notifier");
    assertThat(RenderedChart.configLocations(RenderedChart.container(notifier)))
        .containsExactly("/etc/t2i/config/application.properties");
  }

  @Test
  void byDefault_theGatewayRefusesCallbacks_andNoNotifierIsDeployed() {
    RenderedChart chart = RenderedChart.render(Map.of());

    // No job can name a callback: a notifier would only read every event for nothing.
    assertThat(chart.find("Deployment", "t2i-notifier")).isEmpty();
    assertThat(chart.find("Secret", "t2i-notifier")).isEmpty();
    assertThat(chart.find("PodDisruptionBudget", "t2i-notifier")).isEmpty();
    JsonNode gateway = RenderedChart.container(chart.get("Deployment", "t2i-gateway"));
    // Unset, the gateway's own default holds: no scheme is allowed, so every callback is refused.
    assertThat(RenderedChart.envNames(gateway))
        .doesNotContain(
            "T2I_GATEWAY_CALLBACKS_ALLOWED_SCHEMES",
            "T2I_GATEWAY_CALLBACKS_ALLOWED_HOSTS",
            "T2I_GATEWAY_CALLBACKS_ALLOW_PRIVATE_ADDRESSES");
  }

  @Test
  void aGatewayThatQueuesJobsTokenized_isToldSo_andNoTokenizerIsDeployed() throws Exception {
    RenderedChart usual = RenderedChart.render(Map.of());
    RenderedChart tokenized = RenderedChart.render(Map.of("gateway.publishTokenized", true));

    assertThat(usual.find("Deployment", "t2i-tokenizer")).isPresent();
    assertThat(usual.find("ScaledObject", "t2i-tokenizer")).isPresent();
    assertThat(
            RenderedChart.envNames(RenderedChart.container(usual.get("Deployment", "t2i-gateway"))))
        .doesNotContain("T2I_GATEWAY_PUBLISH_TOKENIZED");
    JsonNode gateway = RenderedChart.container(tokenized.get("Deployment", "t2i-gateway"));
    assertThat(RenderedChart.env(gateway, "T2I_GATEWAY_PUBLISH_TOKENIZED")).contains("true");
    assertThat(ServiceSettings.of("gateway").readsEnv("T2I_GATEWAY_PUBLISH_TOKENIZED")).isTrue();
    // The tokenizer service would get no jobs: nothing of it is deployed.
    assertThat(tokenized.find("Deployment", "t2i-tokenizer")).isEmpty();
    assertThat(tokenized.find("PodDisruptionBudget", "t2i-tokenizer")).isEmpty();
    assertThat(tokenized.find("ScaledObject", "t2i-tokenizer")).isEmpty();
    assertThat(tokenized.find("Deployment", "t2i-encoder")).isPresent();
  }

  @Test
  void callbackSettings_reachTheGatewayAndTheNotifier() {
    RenderedChart chart = RenderedChart.render(CALLBACKS);

    JsonNode gateway = RenderedChart.container(chart.get("Deployment", "t2i-gateway"));
    assertThat(RenderedChart.env(gateway, "T2I_GATEWAY_CALLBACKS_ALLOWED_SCHEMES"))
        .contains("https,http");
    assertThat(RenderedChart.env(gateway, "T2I_GATEWAY_CALLBACKS_ALLOWED_HOSTS"))
        .contains("*.example.com,hooks.example.org");
    assertThat(RenderedChart.env(gateway, "T2I_GATEWAY_CALLBACKS_ALLOW_PRIVATE_ADDRESSES"))
        .contains("true");
    assertThat(RenderedChart.env(gateway, "T2I_GATEWAY_CALLBACKS_MAX_URL_CHARS")).contains("2048");
    JsonNode notifier = RenderedChart.container(chart.get("Deployment", "t2i-notifier"));
    assertThat(RenderedChart.env(notifier, "T2I_NOTIFIER_ALLOW_PRIVATE_ADDRESSES"))
        .contains("true");
    assertThat(RenderedChart.env(notifier, "T2I_NOTIFIER_GIVE_UP_AFTER")).contains("PT1H");
    assertThat(RenderedChart.env(notifier, "T2I_NOTIFIER_REQUEST_TIMEOUT")).contains("PT10S");
  }

  @Test
  void aSigningSecretTheSettingsFileWouldChange_orAnUnknownTenant_isRefusedWithTheReason() {
    assertThatThrownBy(
            () ->
                RenderedChart.render(
                    withCallbacks(Map.of("notifier.defaultSigningSecret", "two words"))))
        .hasMessageContaining("notifier.defaultSigningSecret")
        .hasMessageContaining("printable ASCII");
    // SmallRye Config would read ${...} in a value as an expression.
    assertThatThrownBy(
            () ->
                RenderedChart.render(
                    withCallbacks(Map.of("notifier.signingSecrets.tenant-a", "a${b}"))))
        .hasMessageContaining("notifier.signingSecrets.tenant-a");
    assertThatThrownBy(
            () ->
                RenderedChart.render(
                    withCallbacks(Map.of("notifier.signingSecrets.-tenant", "s3cret"))))
        .hasMessageContaining("is not a tenant name");
  }

  /** Environment variables read by Quarkus or DJL rather than by t2i's own settings, and why. */
  private static final Map<String, String> READ_ELSEWHERE =
      Map.of(
          "QUARKUS_CONFIG_LOCATIONS", "Quarkus: where the ConfigMap's settings file is",
          "QUARKUS_GRPC_SERVER_SSL_CERTIFICATE", "Quarkus gRPC: the gateway's TLS certificate",
          "QUARKUS_GRPC_SERVER_SSL_KEY", "Quarkus gRPC: the gateway's TLS key",
          "DJL_CACHE_DIR", "DJL: its cache in the pod's writable /tmp",
          "ENGINE_CACHE_DIR", "DJL: native engine files in /tmp",
          "OPT_OUT_TRACKING", "DJL: no usage reporting",
          "QUARKUS_OTEL_SDK_DISABLED", "Quarkus OpenTelemetry: tracing on",
          "QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", "Quarkus OpenTelemetry: where spans go");

  private static String defaultOf(String topicMethod) throws NoSuchMethodException {
    return TopicNames.class.getMethod(topicMethod).getAnnotation(WithDefault.class).value();
  }
}
