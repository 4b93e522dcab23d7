package io.logbus.log;

/** A batch is larger than the log's max.message.bytes; nothing of the request was written. */
public class RecordTooLargeException extends LogException {
  private static final long serialVersionUID = 1L;

  public RecordTooLargeException(String message) {
    super(message);
  }

  public RecordTooLargeException(String message, Throwable cause) {
    super(message, cause);
  }
}
