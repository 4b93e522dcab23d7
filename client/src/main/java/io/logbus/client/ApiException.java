package io.logbus.client;

import io.logbus.proto.ErrorCode;
import java.util.EnumSet;
import java.util.Set;

/**
 * A typed error a broker answered with (the {@link ErrorCode} of broker.proto), with the broker's
 * message. {@link #retriable()} says whether the client may try again after refreshing metadata.
 */
public class ApiException extends LogbusException {
  private static final long serialVersionUID = 1L;

  /** Errors that go away by themselves: a leader moves, an election ends, replicas catch up. */
  private static final Set<ErrorCode> RETRIABLE =
      EnumSet.of(
          ErrorCode.NOT_LEADER,
          ErrorCode.LEADER_NOT_AVAILABLE,
          ErrorCode.FENCED_LEADER_EPOCH,
          ErrorCode.UNKNOWN_LEADER_EPOCH,
          ErrorCode.NOT_ENOUGH_REPLICAS,
          ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
          ErrorCode.REQUEST_TIMED_OUT,
          ErrorCode.BROKER_NOT_AVAILABLE,
          ErrorCode.NOT_CONTROLLER,
          ErrorCode.CONTROLLER_NOT_AVAILABLE,
          ErrorCode.COORDINATOR_NOT_AVAILABLE,
          ErrorCode.NOT_COORDINATOR,
          ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);

  /** Errors after which the client's view of leaders is probably stale. */
  private static final Set<ErrorCode> STALE_METADATA =
      EnumSet.of(
          ErrorCode.NOT_LEADER,
          ErrorCode.LEADER_NOT_AVAILABLE,
          ErrorCode.FENCED_LEADER_EPOCH,
          ErrorCode.UNKNOWN_LEADER_EPOCH,
          ErrorCode.UNKNOWN_TOPIC,
          ErrorCode.UNKNOWN_PARTITION,
          ErrorCode.BROKER_NOT_AVAILABLE);

  private final ErrorCode code;

  public ApiException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  /** Builds the exception for a response's error, naming what it was about. */
  public static ApiException of(ErrorCode code, String brokerMessage, String subject) {
    String text = describe(code, subject);
    if (brokerMessage != null && !brokerMessage.isBlank() && !brokerMessage.equals(text)) {
      text = text + ": " + brokerMessage;
    }
    return new ApiException(code, text);
  }

  private static String describe(ErrorCode code, String subject) {
    switch (code) {
      case UNKNOWN_TOPIC:
        return "unknown topic " + subject;
      case UNKNOWN_PARTITION:
        return "unknown partition " + subject;
      case TOPIC_ALREADY_EXISTS:
        return "topic " + subject + " already exists";
      case NOT_ENOUGH_REPLICAS:
        return "not enough replicas for " + subject;
      case INVALID_REPLICATION_FACTOR:
        return "invalid replication factor for " + subject;
      case INVALID_PARTITIONS:
        return "invalid partition count for " + subject;
      case INVALID_TOPIC:
        return "invalid topic " + subject;
      case RECORD_TOO_LARGE:
        return "record too large for " + subject;
      default:
        return code.name().toLowerCase().replace('_', ' ') + " (" + subject + ")";
    }
  }

  public ErrorCode code() {
    return code;
  }

  public boolean retriable() {
    return RETRIABLE.contains(code);
  }

  public static boolean isRetriable(ErrorCode code) {
    return RETRIABLE.contains(code);
  }

  public static boolean invalidatesMetadata(ErrorCode code) {
    return STALE_METADATA.contains(code);
  }
}
