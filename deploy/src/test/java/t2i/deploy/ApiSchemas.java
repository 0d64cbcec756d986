package t2i.deploy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks rendered objects strictly against the schemas of the APIs they belong to, so that an
 * unknown or misspelt field fails the build instead of being dropped by the API server (or rejected
 * at install time):
 *
 * <ul>
 *   <li>Kubernetes' own kinds against the Kubernetes 1.32 OpenAPI models of the official Java
 *       client (client-java 24), which reject unknown fields and missing required ones;
 *   <li>KEDA's {@code ScaledObject} (keda.sh/v1alpha1, KEDA 2.x) and the Strimzi kinds
 *       (kafka.strimzi.io/v1beta2) against models of their CRD schemas written here, read strictly.
 * </ul>
 */
final class ApiSchemas {

  /** A model's strict check of one object's JSON. */
  @FunctionalInterface
  private interface Validator {
    void validate(JsonElement json) throws IOException;
  }

  private static final Map<String, Validator> KUBERNETES =
      Map.of(
          "apps/v1/Deployment", ApiSchemas::deployment,
          "apps/v1/StatefulSet", ApiSchemas::statefulSet,
          "v1/Service", ApiSchemas::service,
          "v1/ConfigMap", ApiSchemas::configMap,
          "v1/Secret", ApiSchemas::secret,
          "policy/v1/PodDisruptionBudget", ApiSchemas::podDisruptionBudget,
          "autoscaling/v2/HorizontalPodAutoscaler", ApiSchemas::horizontalPodAutoscaler);

  private static final JsonMapper STRICT =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  /** The metadata keys of KEDA's Kafka scaler (keda.sh/docs/2.x/scalers/apache-kafka). */
  static final Set<String> KAFKA_SCALER_KEYS =
      Set.of(
          "bootstrapServers",
          "consumerGroup",
          "topic",
          "lagThreshold",
          "activationLagThreshold",
          "offsetResetPolicy",
          "allowIdleConsumers",
          "excludePersistentLag",
          "scaleToZeroOnInvalidOffset",
          "limitToPartitionsWithLag",
          "ensureEvenDistributionOfPartitions",
          "partitionLimitation",
          "version",
          "sasl",
          "tls",
          "unsafeSsl");

  private ApiSchemas() {}

  /**
   * @throws IllegalArgumentException (Kubernetes kinds) or IOException (the others) naming the
   *     offending field; AssertionError for a kind no schema here covers
   */
  static void check(JsonNode object) throws IOException {
    String key = object.path("apiVersion").asText() + "/" + object.path("kind").asText();
    Validator kubernetes = KUBERNETES.get(key);
    if (kubernetes != null) {
      kubernetes.validate(JsonParser.parseString(object.toString()));
      return;
    }
    switch (key) {
      case "keda.sh/v1alpha1/ScaledObject" -> scaledObject(object);
      case "kafka.strimzi.io/v1beta2/Kafka" -> STRICT.treeToValue(object, Strimzi.Kafka.class);
      case "kafka.strimzi.io/v1beta2/KafkaNodePool" ->
          STRICT.treeToValue(object, Strimzi.KafkaNodePool.class);
      case "kafka.strimzi.io/v1beta2/KafkaTopic" ->
          STRICT.treeToValue(object, Strimzi.KafkaTopic.class);
      default -> throw new AssertionError("no schema here checks " + key);
    }
  }

  private static void deployment(JsonElement json) throws IOException {
    V1Deployment.validateJsonElement(json);
  }

  private static void statefulSet(JsonElement json) throws IOException {
    V1StatefulSet.validateJsonElement(json);
  }

  private static void service(JsonElement json) throws IOException {
    V1Service.validateJsonElement(json);
  }

  private static void configMap(JsonElement json) throws IOException {
    V1ConfigMap.validateJsonElement(json);
  }

  private static void secret(JsonElement json) throws IOException {
    V1Secret.validateJsonElement(json);
  }

  private static void podDisruptionBudget(JsonElement json) throws IOException {
    V1PodDisruptionBudget.validateJsonElement(json);
  }

  private static void horizontalPodAutoscaler(JsonElement json) throws IOException {
    V2HorizontalPodAutoscaler.validateJsonElement(json);
  }

  private static void scaledObject(JsonNode object) throws IOException {
    Keda.ScaledObject scaled = STRICT.treeToValue(object, Keda.ScaledObject.class);
    if (scaled.spec().scaleTargetRef() == null || scaled.spec().scaleTargetRef().name() == null) {
      throw new IOException("ScaledObject spec.scaleTargetRef.name is required");
    }
    if (scaled.spec().triggers() == null || scaled.spec().triggers().isEmpty()) {
      throw new IOException("ScaledObject spec.triggers needs at least one trigger");
    }
    for (JsonNode trigger : object.path("spec").path("triggers")) {
      for (var field : trigger.path("metadata").properties()) {
        // The CRD types metadata as map[string]string: a number or boolean is refused.
        if (!field.getValue().isTextual()) {
          throw new IOException("trigger metadata " + field.getKey() + " must be a string");
        }
        if ("kafka".equals(trigger.path("type").asText())
            && !KAFKA_SCALER_KEYS.contains(field.getKey())) {
          throw new IOException("the kafka scaler has no metadata " + field.getKey());
        }
      }
    }
  }

  /** KEDA 2.x {@code ScaledObject}, as its CRD's schema has it. */
  static final class Keda {
    private Keda() {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ScaledObject(String apiVersion, String kind, Metadata metadata, Spec spec) {}

    record Spec(
        ScaleTargetRef scaleTargetRef,
        Integer pollingInterval,
        Integer cooldownPeriod,
        Integer initialCooldownPeriod,
        Integer idleReplicaCount,
        Integer minReplicaCount,
        Integer maxReplicaCount,
        Fallback fallback,
        Advanced advanced,
        List<Trigger> triggers) {}

    record ScaleTargetRef(
        String apiVersion, String kind, String name, String envSourceContainerName) {}

    record Fallback(int failureThreshold, int replicas, String behavior) {}

    record Advanced(
        Boolean restoreToOriginalReplicaCount,
        HorizontalPodAutoscalerConfig horizontalPodAutoscalerConfig,
        JsonNode scalingModifiers) {}

    record HorizontalPodAutoscalerConfig(String name, JsonNode behavior) {}

    record Trigger(
        String type,
        String name,
        Map<String, String> metadata,
        AuthenticationRef authenticationRef,
        String metricType,
        Boolean useCachedMetrics) {}

    record AuthenticationRef(String name, String kind) {}
  }

  /** Object metadata as the chart writes it. */
  record Metadata(
      String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {}

  /** Strimzi's kafka.strimzi.io/v1beta2 kinds, the parts of their CRD schemas the chart uses. */
  static final class Strimzi {
    private Strimzi() {}

    record Kafka(String apiVersion, String kind, Metadata metadata, KafkaSpec spec) {}

    record KafkaSpec(KafkaCluster kafka, EntityOperator entityOperator, JsonNode cruiseControl) {}

    record KafkaCluster(
        String version,
        String metadataVersion,
        List<Listener> listeners,
        Map<String, Object> config,
        JsonNode authorization,
        JsonNode rack) {}

    record Listener(
        String name,
        int port,
        String type,
        boolean tls,
        JsonNode authentication,
        JsonNode configuration) {}

    record EntityOperator(JsonNode topicOperator, JsonNode userOperator) {}

    record KafkaNodePool(String apiVersion, String kind, Metadata metadata, NodePoolSpec spec) {}

    record NodePoolSpec(int replicas, List<String> roles, Storage storage, JsonNode resources) {}

    record Storage(
        String type,
        String size,
        @JsonProperty("class") String storageClass,
        Boolean deleteClaim) {}

    record KafkaTopic(String apiVersion, String kind, Metadata metadata, TopicSpec spec) {}

    record TopicSpec(String topicName, int partitions, int replicas, Map<String, Object> config) {}
  }
}
