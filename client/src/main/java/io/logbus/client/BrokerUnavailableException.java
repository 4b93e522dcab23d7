package io.logbus.client;

/** No broker answered: none of the bootstrap or known addresses was reachable in time. */
public class BrokerUnavailableException extends LogbusException {
  private static final long serialVersionUID = 1L;

  public BrokerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
