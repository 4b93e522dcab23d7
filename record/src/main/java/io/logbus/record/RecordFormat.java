package io.logbus.record;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One record inside a batch's records section (after decompression): Kafka's v2 record, byte for
 * byte. {@code varint}/{@code varlong} are zigzag-encoded, 1-5 and 1-10 bytes (see {@link
 * Varints}); lengths of -1 mean null.
 *
 * <pre>
 *  +--------------------+  &lt;- record start
 *  | length     varint  |  bytes from attributes to the end of the headers
 *  +--------------------+  &lt;- body start (the length counts from here)
 *  | attributes int8    |  unused, written as 0
 *  | timestampDelta     |  varlong: timestamp - batch baseTimestamp (may be negative)
 *  | offsetDelta varint |  offset - batch baseOffset
 *  | keyLength  varint  |  -1 = null key
 *  | key        bytes   |
 *  | valueLength varint |  -1 = null value (a tombstone)
 *  | value      bytes   |
 *  | headerCount varint |  &gt;= 0
 *  | headers            |  headerCount x:
 *  |  +---------------+ |
 *  |  | keyLength vi. | |    &gt;= 0; header keys are never null
 *  |  | key   UTF-8   | |
 *  |  | valueLen. vi. | |    -1 = null value
 *  |  | value bytes   | |
 *  |  +---------------+ |
 *  +--------------------+  &lt;- body start + length = next record
 * </pre>
 *
 * <p>The smallest record is 7 bytes (every varint one byte, null key and value, no headers).
 * Records are back to back; the section holds exactly recordCount of them and nothing after.
 */
public final class RecordFormat {
  private RecordFormat() {}

  public static final int ATTRIBUTES_LENGTH = 1;
  public static final int NULL_LENGTH = -1;
  public static final int MIN_RECORD_SIZE = 7;

  /** Encoded size of the body (everything after the length varint). */
  static int bodySize(
      long timestampDelta, int offsetDelta, byte[] key, byte[] value, List<Header> headers) {
    int size = ATTRIBUTES_LENGTH;
    size += Varints.sizeOfVarlong(timestampDelta);
    size += Varints.sizeOfVarint(offsetDelta);
    size += bytesSize(key);
    size += bytesSize(value);
    int headerCount = headers == null ? 0 : headers.size();
    size += Varints.sizeOfVarint(headerCount);
    for (int i = 0; i < headerCount; i++) {
      Header header = headers.get(i);
      size += bytesSize(header.keyUtf8());
      size += bytesSize(header.value());
    }
    return size;
  }

  /** Encoded size of a whole record, length prefix included. */
  static int sizeInBytes(int bodySize) {
    return Varints.sizeOfVarint(bodySize) + bodySize;
  }

  private static int bytesSize(byte[] bytes) {
    return bytes == null ? 1 : Varints.sizeOfVarint(bytes.length) + bytes.length;
  }

  /** Writes a record whose body is {@code bodySize} bytes (from {@link #bodySize}). */
  static void write(
      ByteBuffer out,
      int bodySize,
      long timestampDelta,
      int offsetDelta,
      byte[] key,
      byte[] value,
      List<Header> headers) {
    Varints.writeVarint(bodySize, out);
    out.put((byte) 0);
    Varints.writeVarlong(timestampDelta, out);
    Varints.writeVarint(offsetDelta, out);
    writeBytes(key, out);
    writeBytes(value, out);
    int headerCount = headers == null ? 0 : headers.size();
    Varints.writeVarint(headerCount, out);
    for (int i = 0; i < headerCount; i++) {
      Header header = headers.get(i);
      writeBytes(header.keyUtf8(), out);
      writeBytes(header.value(), out);
    }
  }

  private static void writeBytes(byte[] bytes, ByteBuffer out) {
    if (bytes == null) {
      Varints.writeVarint(NULL_LENGTH, out);
    } else {
      Varints.writeVarint(bytes.length, out);
      out.put(bytes);
    }
  }
}
