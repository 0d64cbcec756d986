package t2i.gateway;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import java.util.Optional;

/**
 * Who a gRPC call runs for and until when: the tenant its API key stands for, and the deadline the
 * client set. {@link ApiKeyInterceptor} establishes it when the call starts, on the event loop,
 * where the call's deadline is known; the service method reads it on its worker thread.
 *
 * <p>Quarkus runs each call on a Vert.x duplicated context of its own and hands that context on to
 * the worker thread of a {@code @Blocking} method, so the scope travels there as a local of that
 * context. The gRPC {@link Context} is not used for that: Quarkus stores it in the same context's
 * locals, where the event loop re-attaches the call's own context for each event, so a worker
 * thread may see either. It still carries the scope as a fallback for calls outside a duplicated
 * context.
 *
 * @param tenant the tenant, {@link #ANONYMOUS} when authentication is off
 * @param deadline the client's deadline for the call, if it set one
 */
record CallScope(String tenant, Optional<Deadline> deadline) {

  /** The tenant of every caller of a gateway without authentication. */
  static final String ANONYMOUS = "";

  private static final String LOCAL = "t2i.call-scope";
  private static final Context.Key<CallScope> KEY = Context.key(LOCAL);

  /**
   * @throws io.grpc.StatusRuntimeException UNAUTHENTICATED if no scope was established: a call must
   *     never fall back to another tenant's rights
   */
  static CallScope current() {
    if (VertxContext.isOnDuplicatedContext()) {
      Optional<CallScope> scope = ContextLocals.get(LOCAL);
      if (scope.isPresent()) {
        return scope.get();
      }
    }
    CallScope scope = KEY.get();
    if (scope == null) {
      throw Status.UNAUTHENTICATED
          .withDescription("the caller could not be identified; send an API key")
          .asRuntimeException();
    }
    return scope;
  }

  /** Starts the rest of the call within this scope. */
  <ReqT, RespT> ServerCall.Listener<ReqT> start(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (VertxContext.isOnDuplicatedContext()) {
      ContextLocals.put(LOCAL, this);
    }
    return Contexts.interceptCall(Context.current().withValue(KEY, this), call, headers, next);
  }

  /** The tenant as messages name it. */
  static String display(String tenant) {
    return tenant.isEmpty() ? "(anonymous)" : "'" + tenant + "'";
  }
}
