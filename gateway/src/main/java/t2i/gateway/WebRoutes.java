package t2i.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.v1.CancelRequest;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Image;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.ListJobsRequest;
import t2i.v1.ListJobsResponse;
import t2i.v1.ListModelsRequest;
import t2i.v1.ListModelsResponse;
import t2i.v1.TextToImageGrpc;
import t2i.v1.TokenizeRequest;
import t2i.v1.TokenizeResponse;
import t2i.v1.WatchJobRequest;

/**
 * The web API: each route is one call of the gRPC service, its request and answer in protobuf's
 * JSON mapping. Generate and WatchJob answer as server-sent events ({@code event: accepted |
 * progress | preview | image | completed | error}), read by the page with {@code fetch}, which,
 * unlike {@code EventSource}, can send the API key header. A call refused before its first event
 * answers with an HTTP error status and a JSON body: {@code {code, message, field?,
 * retryAfterMs?}}.
 *
 * <p>The API key travels as on gRPC ({@code Authorization: Bearer KEY} or {@code x-api-key}).
 * Requests with a body must be {@code application/json}, which a cross-site form cannot send
 * without the browser asking first, so another site cannot submit jobs through a visitor's browser.
 */
final class WebRoutes {

  private static final Logger LOG = Logger.getLogger(WebRoutes.class);

  /** Largest request body: a prompt and its parameters. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> X_API_KEY =
      Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

  private final TextToImageGrpc.TextToImageStub stub;
  private final Semaphore calls;
  private final int maxCalls;

  /**
   * @param maxCalls most calls and event streams in flight at once; each holds at most one task of
   *     the in-process server's executor at a time, so an executor queue this long never overflows
   */
  WebRoutes(TextToImageGrpc.TextToImageStub stub, int maxCalls) {
    this.stub = stub;
    this.calls = new Semaphore(maxCalls);
    this.maxCalls = maxCalls;
  }

  void register(Router router) {
    router.route("/api/*").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES));
    router
        .get("/api/models")
        .handler(
            ctx ->
                this.<ListModelsResponse>unary(
                    ctx, (s, r) -> s.listModels(ListModelsRequest.getDefaultInstance(), r)));
    router
        .post("/api/tokenize")
        .handler(
            ctx ->
                withBody(
                    ctx,
                    TokenizeRequest.newBuilder(),
                    request ->
                        this.<TokenizeResponse>unary(
                            ctx, (s, r) -> s.tokenize((TokenizeRequest) request, r))));
    router
        .post("/api/generate")
        .handler(
            ctx ->
                withBody(
                    ctx,
                    GenerateRequest.newBuilder(),
                    request -> events(ctx, (s, r) -> s.generate((GenerateRequest) request, r))));
    router.get("/api/jobs").handler(this::listJobs);
    router
        .get("/api/jobs/:id")
        .handler(
            ctx -> {
              GetJobRequest request =
                  GetJobRequest.newBuilder().setJobId(ctx.pathParam("id")).build();
              job(ctx, (s, r) -> s.getJob(request, r));
            });
    router.get("/api/jobs/:id/images/:file").handler(this::image);
    router
        .get("/api/jobs/:id/events")
        .handler(
            ctx ->
                events(
                    ctx,
                    (s, r) ->
                        s.watchJob(
                            WatchJobRequest.newBuilder().setJobId(ctx.pathParam("id")).build(),
                            r)));
    router
        .post("/api/jobs/:id/cancel")
        .handler(
            ctx -> {
              CancelRequest request =
                  CancelRequest.newBuilder().setJobId(ctx.pathParam("id")).build();
              job(ctx, (s, r) -> s.cancel(request, r));
            });
    router
        .route("/api/*")
        .last()
        .handler(
            ctx ->
                error(
                    ctx,
                    HttpResponseStatus.NOT_FOUND,
                    new JsonObject()
                        .put("code", "NOT_FOUND")
                        .put(
                            "message",
                            ctx.request().method()
                                + " "
                                + ctx.request().path()
                                + " is not part of the web API; see the README's web page"
                                + " section")));
  }

  private void listJobs(RoutingContext ctx) {
    ListJobsRequest.Builder request = ListJobsRequest.newBuilder();
    String size = ctx.request().getParam("pageSize", "0");
    String state = ctx.request().getParam("state", "");
    try {
      request.setPageSize(Integer.parseInt(size));
    } catch (NumberFormatException e) {
      badRequest(ctx, "page_size", "pageSize must be a whole number; was '" + size + "'");
      return;
    }
    if (!state.isEmpty()) {
      JobState parsed = parseState(state);
      if (parsed == null) {
        badRequest(
            ctx, "state", "state must be a job state such as SUCCEEDED; was '" + state + "'");
        return;
      }
      request.setState(parsed);
    }
    request.setPageToken(ctx.request().getParam("pageToken", ""));
    ListJobsRequest built = request.build();
    this.<ListJobsResponse>unary(ctx, (s, r) -> s.listJobs(built, r));
  }

  private static @Nullable JobState parseState(String name) {
    try {
      JobState state = JobState.valueOf(name.toUpperCase(Locale.ROOT));
      return state == JobState.UNRECOGNIZED ? null : state;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** One image's PNG, for {@code <img>} and downloads. */
  private void image(RoutingContext ctx) {
    String file = ctx.pathParam("file");
    int index;
    try {
      index = Integer.parseInt(file.endsWith(".png") ? file.substring(0, file.length() - 4) : file);
    } catch (NumberFormatException e) {
      badRequest(ctx, "index", "an image is named by its index, as in 0.png; was '" + file + "'");
      return;
    }
    GetJobRequest request = GetJobRequest.newBuilder().setJobId(ctx.pathParam("id")).build();
    call(
        ctx,
        (s, r) -> s.getJob(request, r),
        (Job job) -> {
          for (Image image : job.getImagesList()) {
            if (image.getIndex() == index) {
              ctx.response()
                  .putHeader("Content-Type", "image/png")
                  // A job's images never change; they are private to the tenant.
                  .putHeader("Cache-Control", "private, max-age=3600")
                  .end(Buffer.buffer(image.getPng().toByteArray()));
              return;
            }
          }
          error(
              ctx,
              HttpResponseStatus.NOT_FOUND,
              new JsonObject()
                  .put("code", "NOT_FOUND")
                  .put(
                      "message",
                      "job "
                          + job.getJobId()
                          + " has no image "
                          + index
                          + " (it has "
                          + job.getImagesCount()
                          + ", state "
                          + job.getState()
                          + ")"));
        });
  }

  private static Job withoutPngs(Job job) {
    Job.Builder builder = job.toBuilder();
    for (Image.Builder image : builder.getImagesBuilderList()) {
      image.clearPng();
    }
    return builder.build();
  }

  private void withBody(
      RoutingContext ctx, Message.Builder builder, java.util.function.Consumer<Message> then) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      error(
          ctx,
          HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
          new JsonObject()
              .put("code", "INVALID_ARGUMENT")
              .put("message", "send the request as JSON, with Content-Type: application/json"));
      return;
    }
    String body = ctx.body().asString();
    try {
      PARSER.merge(body == null ? "{}" : body, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      badRequest(
          ctx,
          null,
          "the request body is not a valid "
              + builder.getDescriptorForType().getName()
              + " in JSON: "
              + e.getMessage());
      return;
    }
    then.accept(builder.build());
  }

  /** A unary call, answered as JSON. */
  private <T extends Message> void unary(
      RoutingContext ctx, BiConsumer<TextToImageGrpc.TextToImageStub, StreamObserver<T>> call) {
    call(ctx, call, (T answer) -> json(ctx, answer));
  }

  /** A call answering a job, answered as JSON without image bytes (the images have URLs). */
  private void job(
      RoutingContext ctx, BiConsumer<TextToImageGrpc.TextToImageStub, StreamObserver<Job>> call) {
    call(ctx, call, (Job job) -> json(ctx, withoutPngs(job)));
  }

  private <T> void call(
      RoutingContext ctx,
      BiConsumer<TextToImageGrpc.TextToImageStub, StreamObserver<T>> call,
      java.util.function.Consumer<T> onAnswer) {
    Runnable release = admit(ctx);
    if (release == null) {
      return;
    }
    call.accept(
        authenticated(ctx),
        new StreamObserver<T>() {
          private @Nullable T answer;

          @Override
          public void onNext(T value) {
            answer = value;
          }

          @Override
          public void onError(Throwable t) {
            release.run();
            grpcError(ctx, t);
          }

          @Override
          public void onCompleted() {
            release.run();
            if (answer != null) {
              onAnswer.accept(answer);
            }
          }
        });
  }

  /** Generate or WatchJob as server-sent events, as fast as the browser reads them. */
  private void events(
      RoutingContext ctx,
      BiConsumer<TextToImageGrpc.TextToImageStub, StreamObserver<GenerateEvent>> call) {
    Runnable release = admit(ctx);
    if (release == null) {
      return;
    }
    call.accept(authenticated(ctx), new EventStream(ctx, release));
  }

  private static final class EventStream implements ClientResponseObserver<Message, GenerateEvent> {
    private final RoutingContext ctx;
    private final Runnable release;
    private boolean started;
    private @Nullable ClientCallStreamObserver<Message> call;

    EventStream(RoutingContext ctx, Runnable release) {
      this.ctx = ctx;
      this.release = release;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Message> call) {
      this.call = call;
      // One event at a time: the next is asked for once the browser took this one, so a slow
      // browser holds the gateway's stream back (where progress collapses) instead of a buffer.
      call.disableAutoRequestWithInitial(1);
      ctx.response().closeHandler(ignored -> call.cancel("the browser closed the stream", null));
    }

    @Override
    public synchronized void onNext(GenerateEvent event) {
      HttpServerResponse response = ctx.response();
      if (!started) {
        started = true;
        response
            .setChunked(true)
            .putHeader("Content-Type", "text/event-stream")
            .putHeader("Cache-Control", "no-store")
            .putHeader("X-Accel-Buffering", "no");
      }
      String name =
          switch (event.getEventCase()) {
            case ACCEPTED -> "accepted";
            case PROGRESS -> "progress";
            case PREVIEW -> "preview";
            case IMAGE -> "image";
            case COMPLETED -> "completed";
            case EVENT_NOT_SET -> "unknown";
          };
      Message inner =
          switch (event.getEventCase()) {
            case ACCEPTED -> event.getAccepted();
            case PROGRESS -> event.getProgress();
            case PREVIEW -> event.getPreview();
            case IMAGE -> event.getImage();
            case COMPLETED -> event.getCompleted();
            case EVENT_NOT_SET -> event;
          };
      ClientCallStreamObserver<Message> own = call;
      response
          .write("event: " + name + "\ndata: " + print(inner) + "\n\n")
          .onSuccess(
              ignored -> {
                if (own != null) {
                  own.request(1);
                }
              });
    }

    @Override
    public synchronized void onError(Throwable t) {
      release.run();
      if (!started) {
        grpcError(ctx, t);
        return;
      }
      if (!ctx.response().ended() && !ctx.response().closed()) {
        ctx.response().end("event: error\ndata: " + errorBody(t).encode() + "\n\n");
      }
    }

    @Override
    public synchronized void onCompleted() {
      release.run();
      if (!ctx.response().ended() && !ctx.response().closed()) {
        ctx.response().end();
      }
    }
  }

  /**
   * Takes a place for a call, or refuses it with 503 when {@code t2i.gateway.web.max-calls} are in
   * flight.
   *
   * @return what gives the place back (once, however often it runs); null if refused
   */
  private @Nullable Runnable admit(RoutingContext ctx) {
    if (!calls.tryAcquire()) {
      error(
          ctx,
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          new JsonObject()
              .put("code", "UNAVAILABLE")
              .put(
                  "message",
                  "this gateway has its most web API calls and streams in flight ("
                      + maxCalls
                      + ", t2i.gateway.web.max-calls); retry in a second")
              .put("retryAfterMs", "1000"));
      return null;
    }
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        calls.release();
      }
    };
  }

  /** The stub, carrying the caller's API key as gRPC metadata. */
  private TextToImageGrpc.TextToImageStub authenticated(RoutingContext ctx) {
    Metadata headers = new Metadata();
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization != null) {
      headers.put(AUTHORIZATION, authorization);
    }
    String key = ctx.request().getHeader("x-api-key");
    if (key != null) {
      headers.put(X_API_KEY, key);
    }
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static void json(RoutingContext ctx, Message message) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response()
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(print(message));
  }

  private static String print(Message message) {
    try {
      return JSON.print(message);
    } catch (InvalidProtocolBufferException e) {
      // Only Any fields of unknown types fail to print; the API has none.
      throw new IllegalStateException(e);
    }
  }

  private static void badRequest(RoutingContext ctx, @Nullable String field, String message) {
    JsonObject body = new JsonObject().put("code", "INVALID_ARGUMENT").put("message", message);
    if (field != null) {
      body.put("field", field);
    }
    error(ctx, HttpResponseStatus.BAD_REQUEST, body);
  }

  private static void grpcError(RoutingContext ctx, Throwable t) {
    error(ctx, httpStatus(Status.fromThrowable(t).getCode()), errorBody(t));
  }

  /** The error body of a failed call: its status, its words, and the field it concerns. */
  static JsonObject errorBody(Throwable t) {
    Status status = Status.fromThrowable(t);
    Metadata trailers = Status.trailersFromThrowable(t);
    String description = status.getDescription();
    JsonObject body =
        new JsonObject()
            .put("code", status.getCode().name())
            .put("message", description == null ? status.getCode().name() : description);
    com.google.rpc.Status rich = StatusProto.fromStatusAndTrailers(status, trailers);
    for (com.google.protobuf.Any detail : rich.getDetailsList()) {
      if (detail.is(BadRequest.class)) {
        try {
          BadRequest bad = detail.unpack(BadRequest.class);
          if (bad.getFieldViolationsCount() > 0) {
            body.put("field", bad.getFieldViolations(0).getField());
          }
        } catch (InvalidProtocolBufferException e) {
          LOG.debugf("Unreadable error detail: %s", e);
        }
      }
    }
    if (trailers != null) {
      String retry = trailers.get(Refusals.RETRY_AFTER_MS);
      if (retry != null) {
        body.put("retryAfterMs", retry);
      }
    }
    return body;
  }

  static HttpResponseStatus httpStatus(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> HttpResponseStatus.BAD_REQUEST;
      case UNAUTHENTICATED -> HttpResponseStatus.UNAUTHORIZED;
      case PERMISSION_DENIED -> HttpResponseStatus.FORBIDDEN;
      case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
      case ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION -> HttpResponseStatus.CONFLICT;
      case RESOURCE_EXHAUSTED -> HttpResponseStatus.TOO_MANY_REQUESTS;
      case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
      case DEADLINE_EXCEEDED -> HttpResponseStatus.GATEWAY_TIMEOUT;
      case CANCELLED -> HttpResponseStatus.valueOf(499);
      default -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
    };
  }

  private static void error(RoutingContext ctx, HttpResponseStatus status, JsonObject body) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed() || response.headWritten()) {
      return;
    }
    response.setStatusCode(status.code()).putHeader("Content-Type", "application/json");
    if (status.code() == 429 || status.code() == 503) {
      String retry = body.getString("retryAfterMs");
      if (retry != null) {
        response.putHeader(
            "Retry-After", Long.toString(Math.max(1, (Long.parseLong(retry) + 999) / 1000)));
      }
    }
    response.end(body.encode());
  }
}
