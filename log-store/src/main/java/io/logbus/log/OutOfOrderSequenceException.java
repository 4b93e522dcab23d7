package io.logbus.log;

/** An idempotent producer's batch does not follow its last sequence (a gap or a reordering). */
public class OutOfOrderSequenceException extends LogException {
  private static final long serialVersionUID = 1L;

  public OutOfOrderSequenceException(String message) {
    super(message);
  }

  public OutOfOrderSequenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
