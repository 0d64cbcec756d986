package t2i.gateway;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Calls a gateway method with messages as bytes, exactly as they go on the wire. */
final class RawBytes {

  static final MethodDescriptor.Marshaller<byte[]> MARSHALLER =
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

  private RawBytes() {}

  /** The method with bytes for its request and response. */
  static MethodDescriptor<byte[], byte[]> method(MethodDescriptor<?, ?> typed) {
    return typed.toBuilder(MARSHALLER, MARSHALLER).build();
  }
}
