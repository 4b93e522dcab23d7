package io.logbus.group;

import io.logbus.proto.ErrorCode;

/**
 * A request the coordinator refuses, with the typed error code the client sees (UNKNOWN_MEMBER_ID,
 * FENCED_MEMBER_EPOCH, GROUP_NOT_EMPTY, NOT_COORDINATOR, ...). The message carries the facts.
 * Thrown by the domain objects and mapped once, by {@link GroupCoordinator}, into response error
 * fields.
 */
public final class GroupException extends RuntimeException {

  private final ErrorCode code;

  public GroupException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
