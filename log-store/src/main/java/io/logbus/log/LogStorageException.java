package io.logbus.log;

/**
 * An I/O failure on the log's files. The log is unusable afterwards: every later append fails too.
 */
public class LogStorageException extends LogException {
  private static final long serialVersionUID = 1L;

  public LogStorageException(String message) {
    super(message);
  }

  public LogStorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
