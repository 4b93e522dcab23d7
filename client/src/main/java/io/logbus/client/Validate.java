package io.logbus.client;

/** Config checks that throw {@link ConfigException} naming key and value. */
final class Validate {
  private Validate() {}

  static long positive(String key, long value) {
    if (value <= 0) {
      throw new ConfigException(key, value, "must be > 0");
    }
    return value;
  }

  static long nonNegative(String key, long value) {
    if (value < 0) {
      throw new ConfigException(key, value, "must be >= 0");
    }
    return value;
  }

  static long between(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new ConfigException(key, value, "must be in " + min + ".." + max);
    }
    return value;
  }
}
