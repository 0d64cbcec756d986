package t2i.gateway;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Authenticates every call by its API key ({@code authorization: Bearer KEY}, or {@code x-api-key:
 * KEY}) and runs it as the key's tenant ({@link CallScope}); a call without a valid key ends {@code
 * UNAUTHENTICATED}. With authentication off, every call runs as the anonymous tenant. The health
 * and reflection services carry no job data and are open to all, so that load balancers, {@code
 * grpcurl} and other-language clients work without a key.
 *
 * <p>Runs on the event loop, ahead of Quarkus' hand-over to worker threads: a refused call never
 * waits for a worker. Thread-safe.
 */
@ApplicationScoped
public class ApiKeyInterceptor implements ServerInterceptor, Prioritized {

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_API_KEY =
      Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

  static final Set<String> OPEN_SERVICES =
      Set.of(
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection");

  private static final String BEARER = "bearer ";

  private final Gateway gateway;

  ApiKeyInterceptor(Gateway gateway) {
    this.gateway = gateway;
  }

  @Override
  public int getPriority() {
    // Called before CallLimitInterceptor and Quarkus' blocking hand-over (lower priorities).
    return TextToImageService.AUTHENTICATION_PRIORITY;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (OPEN_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    Optional<ApiKeys> keys = gateway.apiKeys();
    String tenant;
    if (keys.isEmpty()) {
      tenant = CallScope.ANONYMOUS;
    } else {
      Optional<String> key = presentedKey(headers);
      if (key.isEmpty()) {
        return refuse(
            call,
            "this gateway needs an API key: send the metadata 'authorization: Bearer KEY' (or"
                + " 'x-api-key: KEY'); ask the operator for a key");
      }
      Optional<String> found = keys.get().tenantOf(key.get());
      if (found.isEmpty()) {
        return refuse(call, "the API key is not valid here; check the key or ask for a new one");
      }
      tenant = found.get();
    }
    // The call's own gRPC context is current here: it holds the client's deadline.
    return new CallScope(tenant, Optional.ofNullable(Context.current().getDeadline()))
        .start(call, headers, next);
  }

  private static Optional<String> presentedKey(Metadata headers) {
    String authorization = headers.get(AUTHORIZATION);
    if (authorization != null
        && authorization.length() > BEARER.length()
        && authorization.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
      return Optional.of(authorization.substring(BEARER.length()).strip());
    }
    return Optional.ofNullable(headers.get(X_API_KEY)).map(String::strip);
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(
      ServerCall<ReqT, RespT> call, String description) {
    call.close(Status.UNAUTHENTICATED.withDescription(description), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
