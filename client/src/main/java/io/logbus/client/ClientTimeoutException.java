package io.logbus.client;

/** A client-side bound ran out: max.block.ms, delivery.timeout.ms or a request deadline. */
public class ClientTimeoutException extends LogbusException {
  private static final long serialVersionUID = 1L;

  public ClientTimeoutException(String message) {
    super(message);
  }

  public ClientTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
