package t2i.gateway;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.vertx.ext.web.Router;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import t2i.v1.TextToImageGrpc;

/**
 * The web page's API: HTTP/JSON and server-sent events on the gateway's HTTP port ({@link
 * WebRoutes}), answered by the gRPC service itself through an in-process channel, so that every
 * call passes the same interceptors (metrics, API key, call limit) and rules as a gRPC call. Owns
 * the in-process server, its channel and its threads.
 */
@Singleton
final class WebApi {

  private final ThreadPoolExecutor executor;
  private final Server server;
  private final ManagedChannel channel;
  private final WebRoutes routes;

  WebApi(InterceptedService service, GatewayConfig config) {
    GatewayConfig.Web web = config.gateway().web();
    String name = "t2i-web-" + UUID.randomUUID();
    executor =
        new ThreadPoolExecutor(
            web.threads(),
            web.threads(),
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(web.maxCalls()),
            Thread.ofPlatform().name("web-api-", 0).daemon(true).factory());
    executor.allowCoreThreadTimeOut(true);
    try {
      server =
          InProcessServerBuilder.forName(name)
              .executor(executor)
              .addService(service.definition())
              .build()
              .start();
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UncheckedIOException("the web API's in-process server did not start", e);
    }
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    routes = new WebRoutes(TextToImageGrpc.newStub(channel), web.maxCalls());
  }

  void register(@Observes Router router) {
    routes.register(router);
  }

  @PreDestroy
  void close() {
    channel.shutdownNow();
    server.shutdownNow();
    executor.shutdownNow();
  }
}
