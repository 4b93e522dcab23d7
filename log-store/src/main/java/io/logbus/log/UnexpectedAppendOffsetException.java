package io.logbus.log;

/** A follower append starts below the log end offset: the follower and its leader disagree. */
public class UnexpectedAppendOffsetException extends LogException {
  private static final long serialVersionUID = 1L;

  public UnexpectedAppendOffsetException(String message) {
    super(message);
  }

  public UnexpectedAppendOffsetException(String message, Throwable cause) {
    super(message, cause);
  }
}
