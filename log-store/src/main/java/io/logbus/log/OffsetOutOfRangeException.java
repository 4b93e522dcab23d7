package io.logbus.log;

/** A read or truncation named an offset outside [logStartOffset, logEndOffset]. */
public class OffsetOutOfRangeException extends LogException {
  private static final long serialVersionUID = 1L;

  public OffsetOutOfRangeException(String message) {
    super(message);
  }

  public OffsetOutOfRangeException(String message, Throwable cause) {
    super(message, cause);
  }
}
