package io.logbus.broker;

/** A node properties file is missing a key or has a value out of range; names key and value. */
public final class BrokerConfigException extends RuntimeException {
  public BrokerConfigException(String message) {
    super(message);
  }
}
