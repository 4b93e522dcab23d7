package io.logbus.bench;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The transport benchmark's wire: a gRPC service whose messages are raw byte arrays (no protobuf),
 * so what it measures is HTTP/2 framing, Netty and the executor, the ceiling under logbus's own
 * services.
 */
final class RawBytes {
  static final String SERVICE = "logbus.bench.Transport";

  // Declared before the descriptors that use it: static fields initialize in text order.
  private static final MethodDescriptor.Marshaller<byte[]> MARSHALLER =
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

  /** Bidi: the client streams payloads, the server answers each with an 8-byte acknowledgement. */
  static final MethodDescriptor<byte[], byte[]> STREAM =
      method(MethodDescriptor.MethodType.BIDI_STREAMING, "Stream");

  /** Unary: a payload in, an 8-byte acknowledgement out. */
  static final MethodDescriptor<byte[], byte[]> UNARY =
      method(MethodDescriptor.MethodType.UNARY, "Unary");

  private RawBytes() {}

  private static MethodDescriptor<byte[], byte[]> method(
      MethodDescriptor.MethodType type, String name) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(MARSHALLER)
        .setResponseMarshaller(MARSHALLER)
        .build();
  }
}
