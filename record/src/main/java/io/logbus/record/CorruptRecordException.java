package io.logbus.record;

/**
 * The bytes of a record batch are damaged: truncated, a length field that cannot be right, a magic
 * byte other than 2, or a CRC-32C that does not match. The message names the position and the
 * expected and actual values, so an operator can find the bad bytes in a segment file.
 */
public class CorruptRecordException extends InvalidRecordException {
  private static final long serialVersionUID = 1L;

  public CorruptRecordException(String message) {
    super(message);
  }

  public CorruptRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
