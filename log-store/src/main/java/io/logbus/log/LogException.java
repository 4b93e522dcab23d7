package io.logbus.log;

/**
 * Base of the log-store's typed failures. Runtime, so callers on the produce and fetch paths can
 * map each subclass to a wire error code in one place. Corrupt input batches surface as {@code
 * io.logbus.record.CorruptRecordException} instead, which the record module owns.
 */
public class LogException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LogException(String message) {
    super(message);
  }

  public LogException(String message, Throwable cause) {
    super(message, cause);
  }
}
