package io.logbus.client;

/** A client configuration value is missing or out of range; the message names key and value. */
public class ConfigException extends LogbusException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String key, Object value, String why) {
    super("invalid value " + value + " for " + key + ": " + why);
  }
}
