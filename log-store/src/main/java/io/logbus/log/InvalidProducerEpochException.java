package io.logbus.log;

/**
 * An idempotent producer wrote with an epoch older than the one the log has seen (a fenced zombie).
 */
public class InvalidProducerEpochException extends LogException {
  private static final long serialVersionUID = 1L;

  public InvalidProducerEpochException(String message) {
    super(message);
  }

  public InvalidProducerEpochException(String message, Throwable cause) {
    super(message, cause);
  }
}
