package t2i.system;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import t2i.launcher.Service;

/**
 * The layering the code promises, checked on the compiled classes of every module: services are
 * independent of each other and reach Redis, Kafka's poll loop and Quarkus' gRPC runtime only
 * through the parts made for it.
 */
class LayeringTest {

  /** The service packages; each is one deployable process. */
  private static final List<String> SERVICES =
      List.of("t2i.gateway", "t2i.tokenizer", "t2i.encoder", "t2i.diffusion", "t2i.notifier");

  /** Modules whose main classes make up the system, and the system tests themselves. */
  private static final List<String> CLASS_DIRS =
      List.of(
          "pipeline-common/target/classes",
          "clip-tokenizer/target/classes",
          "gateway/target/classes",
          "tokenizer-service/target/classes",
          "encoder-worker/target/classes",
          "diffusion-worker/target/classes",
          "notifier/target/classes",
          "client/target/classes",
          "launcher/target/classes",
          "local-stack/target/classes",
          "system-tests/target/test-classes");

  /**
   * What the shared library offers the services and the launcher, and all it makes public.
   * Everything else in it (the consumer loop, its failure sink, gate and meters, topic set-up) is
   * package-private: a new use of it from outside is a change to this list, made on purpose.
   */
  private static final List<String> SHARED_LIBRARY_API =
      List.of(
          "t2i.pipeline.callback.CallbackRules",
          "t2i.pipeline.config.EngineConfig",
          "t2i.pipeline.config.EngineName",
          "t2i.pipeline.config.KafkaSettings",
          "t2i.pipeline.config.ModelSettings",
          "t2i.pipeline.config.RedisSettings",
          "t2i.pipeline.config.TopicNames",
          "t2i.pipeline.embedding.EmbeddingCache",
          "t2i.pipeline.engine.ExecutionProvider",
          "t2i.pipeline.engine.GpuPreflight",
          "t2i.pipeline.engine.OrtEngineSettings",
          "t2i.pipeline.engine.OrtSessions",
          "t2i.pipeline.engine.TensorRtProfile",
          "t2i.pipeline.failure.FailureKind",
          "t2i.pipeline.failure.Failures",
          "t2i.pipeline.failure.InfrastructureUnavailable",
          "t2i.pipeline.failure.JobFailure",
          "t2i.pipeline.failure.StageFatalError",
          "t2i.pipeline.job.JobStates",
          "t2i.pipeline.job.JobStore",
          "t2i.pipeline.job.JobTracker",
          "t2i.pipeline.job.JobView",
          "t2i.pipeline.job.QueuePlace",
          "t2i.pipeline.job.RedisKeys",
          "t2i.pipeline.job.RequestIds",
          "t2i.pipeline.job.TenantLedger",
          "t2i.pipeline.job.TokenizedJobs",
          "t2i.pipeline.kafka.BroadcastListener",
          "t2i.pipeline.kafka.Delivery",
          "t2i.pipeline.kafka.JobHandler",
          "t2i.pipeline.kafka.KafkaClients",
          "t2i.pipeline.kafka.KafkaEndpoint",
          "t2i.pipeline.kafka.Publisher",
          "t2i.pipeline.model.ModelDirectory",
          "t2i.pipeline.model.ModelRegistry",
          "t2i.pipeline.model.OnnxSignature",
          "t2i.pipeline.stage.InferenceDefaults",
          "t2i.pipeline.stage.ProcessExit",
          "t2i.pipeline.stage.StageConnections",
          "t2i.pipeline.stage.StageLoops",
          "t2i.pipeline.stage.Stages",
          "t2i.pipeline.stage.TerminationSignal",
          "t2i.pipeline.stage.WorkerLifecycle",
          "t2i.pipeline.telemetry.Buckets",
          "t2i.pipeline.telemetry.JobTraces",
          "t2i.pipeline.telemetry.Telemetry",
          "t2i.pipeline.tensor.FloatTensor",
          "t2i.pipeline.tensor.HalfFloats");

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    Path root = Path.of(System.getProperty("repo.root"));
    List<Path> dirs = CLASS_DIRS.stream().map(root::resolve).toList();
    assertThat(dirs).as("every module is compiled").allMatch(Files::isDirectory);
    classes = new ClassFileImporter().importPaths(dirs);
    assertThat(classes.containPackage("t2i.diffusion")).isTrue();
  }

  private static String[] packagesOf(Stream<String> names) {
    return names.map(name -> name + "..").toArray(String[]::new);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"t2i.gateway", "t2i.tokenizer", "t2i.encoder", "t2i.diffusion", "t2i.notifier"})
  void aService_neverImportsAnotherService_norTheLauncherOrTestTools(String service) {
    noClasses()
        .that()
        .resideInAPackage(service + "..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            packagesOf(
                Stream.concat(
                    SERVICES.stream().filter(s -> !s.equals(service)),
                    Stream.of("t2i.launcher", "t2i.client", "t2i.local", "t2i.system"))))
        .check(classes);
  }

  @Test
  void theSharedLibraries_neverImportAService() {
    noClasses()
        .that()
        .resideInAnyPackage("t2i.pipeline..", "t2i.clip..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            packagesOf(Stream.concat(SERVICES.stream(), Stream.of("t2i.launcher", "t2i.local"))))
        .check(classes);
  }

  @Test
  void theLauncherAndTheSystemTests_useServicesOnlyAsProcesses() {
    noClasses()
        .that()
        .resideInAnyPackage("t2i.launcher..", "t2i.system..", "t2i.client..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(packagesOf(SERVICES.stream()))
        .check(classes);
  }

  @ParameterizedTest
  @CsvSource({
    "GATEWAY, t2i.gateway.Gateway",
    "TOKENIZER, t2i.tokenizer.TokenizerService",
    "ENCODER, t2i.encoder.EncoderWorker",
    "DIFFUSION, t2i.diffusion.DiffusionWorker",
    "NOTIFIER, t2i.notifier.Notifier"
  })
  void noServiceClass_isOnTheSystemTestsClassPath(Service service, String serviceClass) {
    Path compiled =
        Path.of(System.getProperty("repo.root"))
            .resolve(service.module())
            .resolve("target/classes")
            .resolve(serviceClass.replace('.', '/') + ".class");
    assertThat(compiled).as("the class this test looks for exists").isRegularFile();
    assertThatThrownBy(() -> Class.forName(serviceClass))
        .isInstanceOf(ClassNotFoundException.class);
  }

  @Test
  void servicesAndTheLauncher_useOnlyTheSharedLibrarysApi() {
    noClasses()
        .that()
        .resideInAnyPackage(packagesOf(Stream.concat(SERVICES.stream(), Stream.of("t2i.launcher"))))
        .should()
        .dependOnClassesThat(
            resideInAPackage("t2i.pipeline..")
                .and(not(resideInAPackage("t2i.pipeline.v1..")))
                .and(not(belongToAnyOf(SHARED_LIBRARY_API)))
                .as("are in the shared library but outside its API"))
        .check(classes);
  }

  @Test
  void theSharedLibrary_keepsEverythingOutsideItsApiPackagePrivate() {
    noClasses()
        .that()
        .resideInAPackage("t2i.pipeline..")
        .and()
        .resideOutsideOfPackage("t2i.pipeline.v1..")
        .and()
        .areTopLevelClasses()
        .and(not(belongToAnyOf(SHARED_LIBRARY_API)))
        .should()
        .bePublic()
        .check(classes);
  }

  /** A class, or a class nested in it, named in {@code names}. */
  private static DescribedPredicate<JavaClass> belongToAnyOf(List<String> names) {
    return DescribedPredicate.describe(
        "belong to " + names,
        c ->
            names.contains(c.getName())
                || c.getEnclosingClass().map(e -> names.contains(e.getName())).orElse(false));
  }

  @Test
  void onlyTheJobStoreAndTheEmbeddingCache_touchRedis() {
    noClasses()
        .that()
        .resideOutsideOfPackages("t2i.pipeline.job..", "t2i.pipeline.embedding..", "t2i.local..")
        // Opens the one client a process has, and names Redis' exceptions.
        .and()
        .doNotHaveFullyQualifiedName("t2i.pipeline.stage.StageConnections")
        .and()
        .doNotHaveFullyQualifiedName("t2i.pipeline.failure.Failures")
        .and()
        .resideOutsideOfPackage("t2i.system..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("redis.clients..")
        .check(classes);
  }

  @Test
  void onlyOneAdapter_touchesQuarkusGrpcRuntime() {
    String adapter = "t2i.gateway.TextToImageService";
    noClasses()
        .that()
        .resideInAPackage("t2i..")
        .and()
        .doNotHaveFullyQualifiedName(adapter)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.quarkus.grpc..")
        .check(classes);
    classes()
        .that()
        .haveFullyQualifiedName(adapter)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.quarkus.grpc..")
        .check(classes);
  }

  @Test
  void theKafkaPollLoops_stayInTheSharedLibrary() {
    noClasses()
        .that()
        .resideOutsideOfPackages(
            "t2i.pipeline.kafka..", "t2i.pipeline.stage..", "t2i.local..", "t2i.system..")
        // t2i bench's probe times bare records on a topic of its own: no job, no stage, nothing
        // of the stages' loop to share.
        .and()
        .doNotHaveFullyQualifiedName("t2i.launcher.bench.KafkaHopProbe")
        .should()
        .callMethod(Consumer.class, "poll", Duration.class)
        .orShould()
        .callMethod(KafkaConsumer.class, "poll", Duration.class)
        .check(classes);
  }
}
