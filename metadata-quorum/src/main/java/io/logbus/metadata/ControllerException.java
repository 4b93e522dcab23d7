package io.logbus.metadata;

import io.logbus.proto.ErrorCode;

/**
 * A controller request failed as a whole with a typed error code (for example FENCED_LEADER_EPOCH
 * on a stale alterPartition). {@link #retriable()} says whether sending the same request again may
 * succeed (the controller moved, the quorum is electing).
 */
public class ControllerException extends MetadataException {
  private final ErrorCode error;
  private final boolean retriable;

  public ControllerException(ErrorCode error, String message, boolean retriable) {
    super(error + ": " + message);
    this.error = error;
    this.retriable = retriable;
  }

  public ErrorCode error() {
    return error;
  }

  public boolean retriable() {
    return retriable;
  }
}
