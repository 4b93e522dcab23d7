package io.logbus.metadata;

import java.util.Optional;
import java.util.regex.Pattern;

/** Topic name rules: {@code [a-zA-Z0-9._-]{1,249}}, not "." or "..". "__" marks internal. */
final class TopicNames {
  static final int MAX_LENGTH = 249;
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1," + MAX_LENGTH + "}");

  private TopicNames() {}

  /** Why {@code name} is not a legal topic name; empty if it is. */
  static Optional<String> problem(String name) {
    if (name == null || name.isEmpty()) {
      return Optional.of("topic name is empty");
    }
    if (name.equals(".") || name.equals("..")) {
      return Optional.of("topic name '" + name + "' is reserved");
    }
    if (name.length() > MAX_LENGTH) {
      return Optional.of(
          "topic name is " + name.length() + " characters, at most " + MAX_LENGTH + " allowed");
    }
    if (!LEGAL.matcher(name).matches()) {
      return Optional.of("topic name '" + name + "' has characters outside [a-zA-Z0-9._-]");
    }
    return Optional.empty();
  }

  static boolean isInternal(String name) {
    return name.startsWith("__");
  }
}
