package io.logbus.record;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record header: a non-null UTF-8 key and a nullable byte value, as in Kafka. Immutable by
 * convention: the value array is not copied, so callers must not change it after handing it over.
 * The UTF-8 form of the key is kept so that encoding a header does not allocate.
 */
public final class Header {
  private final String key;
  private final byte[] keyUtf8;
  private final byte[] value;

  public Header(String key, byte[] value) {
    this(
        Objects.requireNonNull(key, "header key must not be null"),
        key.getBytes(StandardCharsets.UTF_8),
        value);
  }

  private Header(String key, byte[] keyUtf8, byte[] value) {
    this.key = key;
    this.keyUtf8 = keyUtf8;
    this.value = value;
  }

  /** Decoded from a record: the key bytes are already UTF-8. */
  static Header fromUtf8(byte[] keyUtf8, byte[] value) {
    return new Header(new String(keyUtf8, StandardCharsets.UTF_8), keyUtf8, value);
  }

  public String key() {
    return key;
  }

  /** The value, or null. */
  public byte[] value() {
    return value;
  }

  byte[] keyUtf8() {
    return keyUtf8;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Header
        && key.equals(((Header) o).key)
        && Arrays.equals(value, ((Header) o).value);
  }

  @Override
  public int hashCode() {
    return 31 * key.hashCode() + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "Header(" + key + ", " + (value == null ? "null" : value.length + " bytes") + ")";
  }
}
