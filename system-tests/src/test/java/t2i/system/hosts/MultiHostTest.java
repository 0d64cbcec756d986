package t2i.system.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.launcher.Service;
import t2i.launcher.ServiceProcess;
import t2i.local.Directories;
import t2i.local.KafkaBrokerProcess;
import t2i.local.LocalRedis;

/**
 * t2i across hosts, for real: five network hosts on this machine (Linux network namespaces joined
 * by veth links to one bridge), every service bound to its host's address and reaching the others
 * over the network, nothing on loopback.
 *
 * <pre>
 *   host 1 (10.77.0.1): Kafka broker, Redis
 *   host 2 (10.77.0.2): gateway, tokenizer service
 *   host 3 (10.77.0.3): encoder worker, diffusion worker
 *   host 4 (10.77.0.4): diffusion worker
 *   host 5 (10.77.0.5): the clients
 * </pre>
 *
 * Jobs succeed, both diffusion hosts take jobs, and cutting host 4's link mid-run loses no job.
 * Skipped, saying why, where namespaces cannot be made (not root, no iproute2).
 */
class MultiHostTest {

  private static final Path HOME = Path.of(System.getProperty("repo.root"));
  private static final Path DIR = HOME.resolve("system-tests/target/multi-host");
  private static final Path LOGS = DIR.resolve("logs");
  private static final int GRPC_PORT = 9000;

  @SuppressWarnings("NullAway.Init") // Set by startHosts(), or every test is skipped.
  private static NetworkHosts hosts;

  private static KafkaBrokerProcess broker;
  private static LocalRedis redis;
  private static final List<ServiceProcess> services = new ArrayList<>();

  @BeforeAll
  static void startHosts() throws Exception {
    Optional<String> unavailable = NetworkHosts.unavailableBecause();
    assumeTrue(
        unavailable.isEmpty(), () -> "separate hosts cannot be made here: " + unavailable.get());
    Directories.deleteRecursively(DIR);
    Files.createDirectories(LOGS);
    try {
      hosts = NetworkHosts.create();
      for (int host = 1; host <= 5; host++) {
        hosts.add(host);
      }
    } catch (IOException e) {
      // A sandbox may allow namespaces but not bridges or veth links.
      assumeTrue(false, "separate hosts cannot be made here: " + e.getMessage());
    }
    broker =
        KafkaBrokerProcess.start(
            DIR.resolve("kafka"),
            LOGS.resolve("kafka-broker.log"),
            NetworkHosts.address(1),
            NetworkHosts.on(1));
    redis =
        LocalRedis.start(DIR.resolve("redis"), NetworkHosts.address(1), 6379, NetworkHosts.on(1));
    start(Service.GATEWAY, "gateway", 2);
    start(Service.TOKENIZER, "tokenizer-service", 2);
    start(Service.ENCODER, "encoder-worker", 3);
    start(Service.DIFFUSION, "diffusion-worker-h3", 3);
    start(Service.DIFFUSION, "diffusion-worker-h4", 4);
    awaitStarted();
  }

  private static void start(Service service, String name, int host) throws IOException {
    String address = NetworkHosts.address(host);
    Map<String, String> config = new LinkedHashMap<>();
    config.put("t2i.kafka.bootstrap-servers", broker.bootstrapServers());
    config.put("t2i.redis.url", redis.url());
    config.put("t2i.models.dir", HOME.resolve("models").toString());
    config.put("t2i.models.default-model", "tiny-random");
    config.put("t2i.kafka.group-instance-id", name);
    config.put("t2i.kafka.session-timeout", "PT6S");
    config.put("t2i.gateway.auth.enabled", "false");
    config.put("t2i.gateway.job-timeout", "PT5M");
    config.put("t2i.gateway.publish-timeout", "PT5S");
    config.put("t2i.gateway.quota.max-jobs-in-flight", "10000");
    config.put("t2i.gateway.quota.max-submissions", "10000");
    // Every listener on the host's own address: nothing on loopback.
    config.put("quarkus.grpc.server.host", address);
    config.put("quarkus.grpc.server.port", Integer.toString(GRPC_PORT));
    config.put("quarkus.management.host", address);
    config.put("quarkus.http.host", address);
    config.put("ai.djl.offline", "true");
    config.put("ai.djl.default_engine", "OnnxRuntime");
    services.add(
        ServiceProcess.start(
            service, name, HOME, LOGS, service.configOf(config), List.of(), NetworkHosts.on(host)));
  }

  private static void awaitStarted() throws Exception {
    long until = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    for (ServiceProcess service : services) {
      while (!service.isStarted()) {
        if (System.nanoTime() > until) {
          throw new AssertionError(service.name() + " did not start:\n" + service.logTail(30));
        }
        Thread.sleep(200);
      }
    }
  }

  @AfterAll
  static void stopHosts() {
    services.forEach(ServiceProcess::close);
    if (redis != null) {
      redis.close();
    }
    if (broker != null) {
      broker.close();
    }
    if (hosts != null) {
      hosts.close();
    }
  }

  /** Runs the clients on host 5 and returns their result lines. */
  private static List<String[]> runClients(
      int jobs, double perSecond, String prefix, Runnable midway) throws Exception {
    Path out = DIR.resolve(prefix + ".txt");
    List<String> command = new ArrayList<>(NetworkHosts.on(5));
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("t2i.system.faults.ClientMain");
    command.add(NetworkHosts.address(2) + ":" + GRPC_PORT);
    command.add(Integer.toString(jobs));
    command.add(Double.toString(perSecond));
    command.add(prefix);
    command.add(out.toString());
    Process clients =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(LOGS.resolve(prefix + "-clients.log").toFile())
            .start();
    midway.run();
    assertThat(clients.waitFor(6, TimeUnit.MINUTES)).as("the clients finished").isTrue();
    assertThat(clients.exitValue()).as("the clients' exit status").isZero();
    return Files.readAllLines(out, StandardCharsets.UTF_8).stream()
        .map(line -> line.split(" "))
        .toList();
  }

  private static long jobsRunOn(String diffusionWorker, List<String[]> results) throws IOException {
    String log = Files.readString(LOGS.resolve(diffusionWorker + ".log"), StandardCharsets.UTF_8);
    return results.stream().filter(r -> log.contains("Denoising job " + r[1] + ":")).count();
  }

  private static void assertAllSucceeded(List<String[]> results, int jobs) {
    assertThat(results).hasSize(jobs);
    for (String[] r : results) {
      assertThat(r[2]).as("job of %s", r[0]).isEqualTo("SUCCEEDED");
      assertThat(r[3]).as("images of %s", r[0]).isEqualTo("1");
      assertThat(r[4]).as("duplicate events of %s", r[0]).isEqualTo("0");
    }
  }

  @Test
  void jobsFromAnotherHost_succeed_andBothDiffusionHostsTakeJobs() throws Exception {
    List<String[]> results = runClients(60, 10, "spread", () -> {});

    assertAllSucceeded(results, 60);
    assertThat(jobsRunOn("diffusion-worker-h3", results)).isPositive();
    assertThat(jobsRunOn("diffusion-worker-h4", results)).isPositive();
  }

  @Test
  void cuttingAWorkerHostsLinkMidRun_losesNoJob() throws Exception {
    List<String[]> results =
        runClients(
            120,
            10,
            "cut",
            () -> {
              try {
                Thread.sleep(3000);
                hosts.link(4, false);
                Thread.sleep(20_000);
                hosts.link(4, true);
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("could not cut host 4's link", e);
              }
            });

    assertAllSucceeded(results, 120);
    assertThat(jobsRunOn("diffusion-worker-h3", results)).isPositive();
  }
}
