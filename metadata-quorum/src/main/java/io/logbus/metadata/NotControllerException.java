package io.logbus.metadata;

import io.logbus.proto.ErrorCode;

/**
 * The request reached a node that is not (or no longer) the controller, or the controller lost
 * leadership before the request's records committed. Retriable: send it again, it will reach the
 * new controller. A write that failed this way may still have committed; a retried create then
 * answers TOPIC_ALREADY_EXISTS.
 */
public class NotControllerException extends ControllerException {
  public NotControllerException(String message) {
    super(ErrorCode.NOT_CONTROLLER, message, true);
  }
}
