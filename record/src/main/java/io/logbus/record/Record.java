package io.logbus.record;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One decoded record: offset, timestamp, key and value (each nullable; a null value is a tombstone)
 * and headers. A view over the batch's (decompressed) records section: the key, value and headers
 * stay in the batch's bytes until asked for, so iterating a batch allocates one small object per
 * record and copies only what the caller reads. {@link #key()} and {@link #value()} copy on each
 * call; {@link #keyBuffer()} and {@link #valueBuffer()} are read-only views without a copy.
 *
 * <p>Immutable as long as the underlying batch bytes are not changed; safe to share between
 * threads.
 */
public final class Record {
  private final ByteBuffer section;
  private final long offset;
  private final long timestamp;
  private final int sizeInBytes;
  private final int keyPosition;
  private final int keyLength;
  private final int valuePosition;
  private final int valueLength;
  private final int headersPosition;
  private final int headerCount;

  Record(
      ByteBuffer section,
      long offset,
      long timestamp,
      int sizeInBytes,
      int keyPosition,
      int keyLength,
      int valuePosition,
      int valueLength,
      int headersPosition,
      int headerCount) {
    this.section = section;
    this.offset = offset;
    this.timestamp = timestamp;
    this.sizeInBytes = sizeInBytes;
    this.keyPosition = keyPosition;
    this.keyLength = keyLength;
    this.valuePosition = valuePosition;
    this.valueLength = valueLength;
    this.headersPosition = headersPosition;
    this.headerCount = headerCount;
  }

  public long offset() {
    return offset;
  }

  /** Create time, or the batch's log append time if the batch says LOG_APPEND_TIME. */
  public long timestamp() {
    return timestamp;
  }

  /** Encoded size in the (uncompressed) records section, length prefix included. */
  public int sizeInBytes() {
    return sizeInBytes;
  }

  public boolean hasKey() {
    return keyLength >= 0;
  }

  public boolean hasValue() {
    return valueLength >= 0;
  }

  /** Key length in bytes, -1 if null. */
  public int keySize() {
    return keyLength;
  }

  /** Value length in bytes, -1 if null. */
  public int valueSize() {
    return valueLength;
  }

  /** A copy of the key, or null. */
  public byte[] key() {
    return copy(keyPosition, keyLength);
  }

  /** A copy of the value, or null (a tombstone). */
  public byte[] value() {
    return copy(valuePosition, valueLength);
  }

  /** A read-only view of the key (position 0), or null. */
  public ByteBuffer keyBuffer() {
    return view(keyPosition, keyLength);
  }

  /** A read-only view of the value (position 0), or null. */
  public ByteBuffer valueBuffer() {
    return view(valuePosition, valueLength);
  }

  public int headerCount() {
    return headerCount;
  }

  /** The headers, decoded on each call (the batch was checked when this record was read). */
  public List<Header> headers() {
    if (headerCount == 0) {
      return Collections.emptyList();
    }
    List<Header> headers = new ArrayList<>(headerCount);
    RecordDecoder.Cursor cursor = new RecordDecoder.Cursor(section, headersPosition, -1);
    for (int i = 0; i < headerCount; i++) {
      byte[] key = cursor.readBytes();
      byte[] value = cursor.readBytes();
      headers.add(Header.fromUtf8(key, value));
    }
    return Collections.unmodifiableList(headers);
  }

  private byte[] copy(int position, int length) {
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    section.get(position, bytes);
    return bytes;
  }

  private ByteBuffer view(int position, int length) {
    if (length < 0) {
      return null;
    }
    return section.slice(position, length).asReadOnlyBuffer();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Record)) {
      return false;
    }
    Record other = (Record) o;
    return offset == other.offset
        && timestamp == other.timestamp
        && Arrays.equals(key(), other.key())
        && Arrays.equals(value(), other.value())
        && headers().equals(other.headers());
  }

  @Override
  public int hashCode() {
    return Long.hashCode(offset) * 31 + Long.hashCode(timestamp);
  }

  @Override
  public String toString() {
    return "Record(offset="
        + offset
        + ", timestamp="
        + timestamp
        + ", key="
        + (keyLength < 0 ? "null" : keyLength + " bytes")
        + ", value="
        + (valueLength < 0 ? "null" : valueLength + " bytes")
        + ", headers="
        + headerCount
        + ")";
  }
}
