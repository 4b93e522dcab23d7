package io.logbus.record;

import java.nio.ByteBuffer;

/**
 * Zigzag varint/varlong encoding of the records section, identical to Kafka's {@code ByteUtils}
 * (protobuf's sint32/sint64 wire form): zigzag maps small negative numbers to small unsigned ones,
 * then 7 bits per byte, low group first, high bit set on every byte but the last.
 */
final class Varints {
  private Varints() {}

  static final int MAX_VARINT_BYTES = 5;
  static final int MAX_VARLONG_BYTES = 10;

  static int sizeOfVarint(int value) {
    return sizeOfUnsigned((value << 1) ^ (value >> 31));
  }

  static int sizeOfVarlong(long value) {
    long v = (value << 1) ^ (value >> 63);
    int bytes = 1;
    while ((v & 0xffffffffffffff80L) != 0L) {
      bytes++;
      v >>>= 7;
    }
    return bytes;
  }

  private static int sizeOfUnsigned(int v) {
    int bytes = 1;
    while ((v & 0xffffff80) != 0) {
      bytes++;
      v >>>= 7;
    }
    return bytes;
  }

  static void writeVarint(int value, ByteBuffer out) {
    int v = (value << 1) ^ (value >> 31);
    while ((v & 0xffffff80) != 0) {
      out.put((byte) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  static void writeVarlong(long value, ByteBuffer out) {
    long v = (value << 1) ^ (value >> 63);
    while ((v & 0xffffffffffffff80L) != 0L) {
      out.put((byte) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }
}
