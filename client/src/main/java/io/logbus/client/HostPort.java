package io.logbus.client;

import java.util.ArrayList;
import java.util.List;

/** A broker address, {@code host:port}. */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("empty host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not in 1..65535");
    }
  }

  /**
   * Parses a comma-separated list such as {@code 127.0.0.1:19091,127.0.0.1:19092}.
   *
   * @throws ConfigException naming the bad entry
   */
  public static List<HostPort> parseList(String key, String text) {
    if (text == null || text.isBlank()) {
      throw new ConfigException(key, "\"" + text + "\"", "expected host:port[,host:port...]");
    }
    List<HostPort> out = new ArrayList<>();
    for (String part : text.split(",")) {
      String entry = part.trim();
      int colon = entry.lastIndexOf(':');
      if (colon <= 0 || colon == entry.length() - 1) {
        throw new ConfigException(key, "\"" + entry + "\"", "expected host:port");
      }
      String host = entry.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(entry.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "\"" + entry + "\"", "port is not a number");
      }
      if (port < 1 || port > 65535) {
        throw new ConfigException(key, "\"" + entry + "\"", "port is not in 1..65535");
      }
      out.add(new HostPort(host, port));
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
