package t2i.system.hosts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Separate network hosts on this machine: Linux network namespaces, each joined by a veth link to
 * one bridge, with an address of its own on 10.77.0.0/24 (the bridge, in this test's own namespace,
 * is .254). A process started in a host sees only its own address and loopback. Needs root and
 * iproute2. Owns the namespaces and links; {@link #close()} removes them.
 */
final class NetworkHosts implements AutoCloseable {

  static final String BRIDGE = "t2ibr0";
  static final String BRIDGE_ADDRESS = "10.77.0.254";

  private final List<String> names = new ArrayList<>();

  /** Why these hosts cannot be made here, if they cannot. */
  static Optional<String> unavailableBecause() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of(
          "network namespaces need root; running as " + System.getProperty("user.name"));
    }
    try {
      run(List.of("ip", "netns", "list"));
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("`ip netns` does not work here (install iproute2): " + e.getMessage());
    }
  }

  /** Makes the bridge; removes whatever an earlier run left behind first. */
  static NetworkHosts create() throws IOException {
    NetworkHosts hosts = new NetworkHosts();
    for (int i = 1; i <= 9; i++) {
      runQuietly(List.of("ip", "netns", "del", namespace(i)));
      runQuietly(List.of("ip", "link", "del", "t2iv" + i));
    }
    runQuietly(List.of("ip", "link", "del", BRIDGE));
    run(List.of("ip", "link", "add", BRIDGE, "type", "bridge"));
    run(List.of("ip", "addr", "add", BRIDGE_ADDRESS + "/24", "dev", BRIDGE));
    run(List.of("ip", "link", "set", BRIDGE, "up"));
    return hosts;
  }

  static String namespace(int host) {
    return "t2i-h" + host;
  }

  static String address(int host) {
    return "10.77.0." + host;
  }

  /** Adds host {@code n}: a namespace with a veth link to the bridge and address 10.77.0.n. */
  void add(int host) throws IOException {
    String ns = namespace(host);
    String outside = "t2iv" + host;
    String inside = "t2ip" + host;
    run(List.of("ip", "netns", "add", ns));
    names.add(ns);
    run(List.of("ip", "link", "add", outside, "type", "veth", "peer", "name", inside));
    run(List.of("ip", "link", "set", inside, "netns", ns));
    run(List.of("ip", "link", "set", outside, "master", BRIDGE, "up"));
    run(
        List.of(
            "ip", "netns", "exec", ns, "ip", "addr", "add", address(host) + "/24", "dev", inside));
    run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up"));
    run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
  }

  /** The command prefix that runs a program on host {@code n}. */
  static List<String> on(int host) {
    return List.of("ip", "netns", "exec", namespace(host));
  }

  /** Cuts host {@code n}'s link (its cable pulled) or mends it. */
  void link(int host, boolean up) throws IOException {
    run(List.of("ip", "link", "set", "t2iv" + host, up ? "up" : "down"));
  }

  @Override
  public void close() {
    for (String ns : names) {
      runQuietly(List.of("ip", "netns", "del", ns));
    }
    for (int i = 1; i <= 9; i++) {
      runQuietly(List.of("ip", "link", "del", "t2iv" + i));
    }
    runQuietly(List.of("ip", "link", "del", BRIDGE));
  }

  private static void runQuietly(List<String> command) {
    try {
      run(command);
    } catch (IOException e) {
      // Already gone.
    }
  }

  static void run(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (process.exitValue() != 0) {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      throw new IOException(String.join(" ", command) + " failed: " + output.strip());
    }
  }
}
