package io.logbus.log;

/**
 * A log configuration key is unknown or its value is out of range; the message names key and value.
 */
public class InvalidConfigException extends LogException {
  private static final long serialVersionUID = 1L;

  public InvalidConfigException(String message) {
    super(message);
  }

  public InvalidConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
