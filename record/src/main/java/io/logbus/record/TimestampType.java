package io.logbus.record;

/**
 * Meaning of a batch's timestamps, attribute bit 3 of the batch header. With {@link
 * #LOG_APPEND_TIME} the broker's append time is the batch's maxTimestamp and every record reports
 * it, whatever the per-record deltas say (as Kafka does).
 */
public enum TimestampType {
  CREATE_TIME,
  LOG_APPEND_TIME;

  /** Attribute bit 3. */
  static final int ATTRIBUTE_MASK = 0x08;

  /** The timestamp type encoded in a batch's attributes. */
  public static TimestampType fromAttributes(int attributes) {
    return (attributes & ATTRIBUTE_MASK) == 0 ? CREATE_TIME : LOG_APPEND_TIME;
  }

  /** {@code attributes} with bit 3 set for this type. */
  public int applyTo(int attributes) {
    return this == LOG_APPEND_TIME ? attributes | ATTRIBUTE_MASK : attributes & ~ATTRIBUTE_MASK;
  }
}
