package io.logbus.record;

/**
 * The input is not a valid record batch: its bytes are intact (the CRC matches) but break a rule of
 * the format, for example a record whose declared length disagrees with its fields, an unknown
 * compression codec, or a record count that disagrees with the records section. A producer bug, not
 * damage; retrying with the same bytes will fail again.
 *
 * <p>{@link CorruptRecordException} (damaged bytes) is a subclass, so a broker that only needs to
 * reject bad input catches this type.
 */
public class InvalidRecordException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidRecordException(String message) {
    super(message);
  }

  public InvalidRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
