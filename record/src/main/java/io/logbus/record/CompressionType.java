package io.logbus.record;

import java.util.Locale;

/**
 * Codec of a batch's records section, attribute bits 0-2 of the batch header. The ids are Kafka's;
 * ids 5-7 are unassigned and rejected with {@link InvalidRecordException}.
 */
public enum CompressionType {
  NONE(0, "none"),
  GZIP(1, "gzip"),
  SNAPPY(2, "snappy"),
  LZ4(3, "lz4"),
  ZSTD(4, "zstd");

  /** Attribute bits 0-2. */
  static final int ATTRIBUTE_MASK = 0x07;

  private static final CompressionType[] BY_ID = values();

  public final int id;
  public final String name;

  CompressionType(int id, String name) {
    this.id = id;
    this.name = name;
  }

  /** The codec with this id. */
  public static CompressionType forId(int id) {
    if (id < 0 || id >= BY_ID.length) {
      throw new InvalidRecordException("unknown compression type id " + id + " (expected 0-4)");
    }
    return BY_ID[id];
  }

  /** The codec named as in Kafka's {@code compression.type} ("none", "gzip", ...), any case. */
  public static CompressionType forName(String name) {
    if (name != null) {
      String lower = name.toLowerCase(Locale.ROOT);
      for (CompressionType type : BY_ID) {
        if (type.name.equals(lower)) {
          return type;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown compression type '" + name + "' (expected none, gzip, snappy, lz4 or zstd)");
  }

  /** The codec encoded in a batch's attributes. */
  public static CompressionType fromAttributes(int attributes) {
    return forId(attributes & ATTRIBUTE_MASK);
  }
}
