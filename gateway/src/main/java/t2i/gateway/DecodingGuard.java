package t2i.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers requests that are not valid protobuf with {@code INVALID_ARGUMENT}. gRPC decodes a
 * request before any application code runs and ends the call {@code UNKNOWN} ("Application error
 * processing RPC") when that fails, which reads like a server fault. Here each method receives raw
 * bytes and decodes them itself, so a malformed request is the client's error, as it is. Stateless;
 * the wrapped handlers keep their own thread-safety.
 */
final class DecodingGuard {

  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private DecodingGuard() {}

  /** The same service, decoding each request itself. */
  static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName())
            .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guard(method);
      descriptor.addMethod(guarded.getMethodDescriptor());
      methods.add(guarded);
    }
    ServerServiceDefinition.Builder guardedService =
        ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(guardedService::addMethod);
    return guardedService.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<byte[], RespT> guard(
      ServerMethodDefinition<ReqT, RespT> definition) {
    MethodDescriptor<ReqT, RespT> typed = definition.getMethodDescriptor();
    MethodDescriptor<byte[], RespT> raw =
        typed.toBuilder(RAW, typed.getResponseMarshaller()).build();
    ServerCallHandler<ReqT, RespT> handler = definition.getServerCallHandler();
    return ServerMethodDefinition.create(
        raw, (call, headers) -> start(call, headers, typed, handler));
  }

  private static <ReqT, RespT> ServerCall.Listener<byte[]> start(
      ServerCall<byte[], RespT> call,
      Metadata headers,
      MethodDescriptor<ReqT, RespT> typed,
      ServerCallHandler<ReqT, RespT> handler) {
    ServerCall.Listener<ReqT> listener = handler.startCall(new TypedCall<>(call, typed), headers);
    // gRPC delivers a call's listener events one at a time, so the flag needs no lock.
    return new ServerCall.Listener<>() {
      private boolean refused;

      @Override
      public void onMessage(byte[] message) {
        if (refused) {
          return;
        }
        ReqT request;
        try {
          request = typed.parseRequest(new ByteArrayInputStream(message));
        } catch (RuntimeException e) {
          refused = true;
          call.close(
              Status.INVALID_ARGUMENT.withDescription(
                  "the request is not a valid protobuf message for "
                      + typed.getFullMethodName()
                      + reason(e)),
              new Metadata());
          return;
        }
        listener.onMessage(request);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          listener.onHalfClose();
        }
      }

      @Override
      public void onReady() {
        if (!refused) {
          listener.onReady();
        }
      }

      @Override
      public void onCancel() {
        listener.onCancel();
      }

      @Override
      public void onComplete() {
        listener.onComplete();
      }
    };
  }

  private static String reason(RuntimeException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof InvalidProtocolBufferException invalid) {
        return ": " + invalid.getMessage();
      }
    }
    return "";
  }

  /** The call as the typed handler sees it: responses pass through, the descriptor is typed. */
  private static final class TypedCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {

    private final ServerCall<byte[], RespT> raw;
    private final MethodDescriptor<ReqT, RespT> typed;

    TypedCall(ServerCall<byte[], RespT> raw, MethodDescriptor<ReqT, RespT> typed) {
      this.raw = raw;
      this.typed = typed;
    }

    @Override
    public void request(int numMessages) {
      raw.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      raw.sendHeaders(headers);
    }

    @Override
    public void sendMessage(RespT message) {
      raw.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return raw.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      raw.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return raw.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      raw.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      raw.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      raw.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return raw.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return raw.getAttributes();
    }

    @Override
    public String getAuthority() {
      return raw.getAuthority();
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return typed;
    }
  }
}
