package t2i.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver as a user would write one, on the JDK's HTTP server, for tests of t2i's
 * callbacks: it checks each request's signature and timestamp (as the README's snippet does),
 * answers from a script of statuses per delivery id, and keeps what it saw. Thread-safe.
 */
public final class WebhookReceiver implements AutoCloseable {

  /** One request as received. */
  public record Request(
      String deliveryId, int attempt, boolean signatureValid, String body, int answered) {}

  private final HttpServer server;
  private final String secret;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, Deque<Integer>> scripts = new ConcurrentHashMap<>();
  private final List<Integer> defaultScript;
  private final CountDownLatch never = new CountDownLatch(1);
  private final boolean hangs;
  private final AtomicInteger fallback = new AtomicInteger(200);

  private WebhookReceiver(String secret, List<Integer> script, boolean hangs) throws IOException {
    this.secret = secret;
    this.defaultScript = List.copyOf(script);
    this.hangs = hangs;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/hook", this::handle);
    server.start();
  }

  /** Answers each delivery with {@code script}'s statuses in turn, then 200. */
  public static WebhookReceiver answering(String secret, Integer... script) throws IOException {
    return new WebhookReceiver(secret, List.of(script), false);
  }

  /** Never answers. */
  public static WebhookReceiver hanging(String secret) throws IOException {
    return new WebhookReceiver(secret, List.of(), true);
  }

  /** Answers every request with {@code status} from now on (scripts already begun go on). */
  public void answerFromNowOn(int status) {
    fallback.set(status);
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public List<Request> requestsFor(String deliveryId) {
    return requests.stream().filter(r -> r.deliveryId().equals(deliveryId)).toList();
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    if (hangs) {
      try {
        never.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    String delivery = header(exchange, "X-T2I-Delivery");
    Deque<Integer> script = scripts.computeIfAbsent(delivery, d -> new ArrayDeque<>(defaultScript));
    Integer next;
    synchronized (script) {
      next = script.pollFirst();
    }
    int status = next == null ? fallback.get() : next;
    requests.add(
        new Request(
            delivery,
            Integer.parseInt(header(exchange, "X-T2I-Attempt")),
            verify(
                secret,
                header(exchange, "X-T2I-Timestamp"),
                header(exchange, "X-T2I-Signature"),
                body),
            new String(body, StandardCharsets.UTF_8),
            status));
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  private static String header(HttpExchange exchange, String name) {
    String value = exchange.getRequestHeaders().getFirst(name);
    return value == null ? "" : value;
  }

  /**
   * What the README tells receivers to do: recompute the HMAC-SHA256 of "TIMESTAMP.BODY" with the
   * shared secret, compare in constant time, and refuse timestamps older than five minutes.
   */
  public static boolean verify(String secret, String timestamp, String signature, byte[] body) {
    try {
      long sent = Long.parseLong(timestamp);
      if (Math.abs(Instant.now().getEpochSecond() - sent) > 300) {
        return false;
      }
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
      byte[] expected =
          ("sha256=" + HexFormat.of().formatHex(mac.doFinal(body)))
              .getBytes(StandardCharsets.UTF_8);
      return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() {
    never.countDown();
    server.stop(0);
  }
}
