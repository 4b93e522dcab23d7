package io.logbus.client;

/** Base of every exception the logbus client throws or completes a future with. */
public class LogbusException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LogbusException(String message) {
    super(message);
  }

  public LogbusException(String message, Throwable cause) {
    super(message, cause);
  }
}
