package io.logbus.broker;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.logbus.log.DuplicateSequenceException;
import io.logbus.log.InvalidConfigException;
import io.logbus.log.InvalidProducerEpochException;
import io.logbus.log.LogStorageException;
import io.logbus.log.OffsetOutOfRangeException;
import io.logbus.log.OutOfOrderSequenceException;
import io.logbus.log.RecordTooLargeException;
import io.logbus.metadata.ControllerException;
import io.logbus.proto.ErrorCode;
import io.logbus.record.CorruptRecordException;
import io.logbus.record.InvalidRecordException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one place that maps domain failures to a typed {@link ErrorCode} (in responses) and a gRPC
 * {@link Status} (for whole-call failures). Stateless; any thread.
 */
public final class ErrorMapping {
  private ErrorMapping() {}

  /** Strips the wrappers futures put around the real cause. */
  public static Throwable unwrap(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  public static ErrorCode code(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof BrokerException be) {
      return be.code();
    }
    if (t instanceof ControllerException ce) {
      return ce.error();
    }
    if (t instanceof CorruptRecordException || t instanceof InvalidRecordException) {
      return ErrorCode.CORRUPT_MESSAGE;
    }
    if (t instanceof RecordTooLargeException) {
      return ErrorCode.RECORD_TOO_LARGE;
    }
    if (t instanceof DuplicateSequenceException) {
      return ErrorCode.DUPLICATE_SEQUENCE;
    }
    if (t instanceof OutOfOrderSequenceException) {
      return ErrorCode.OUT_OF_ORDER_SEQUENCE;
    }
    if (t instanceof InvalidProducerEpochException) {
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    }
    if (t instanceof OffsetOutOfRangeException) {
      return ErrorCode.OFFSET_OUT_OF_RANGE;
    }
    if (t instanceof LogStorageException) {
      return ErrorCode.STORAGE_ERROR;
    }
    if (t instanceof InvalidConfigException) {
      return ErrorCode.INVALID_CONFIG;
    }
    if (t instanceof IllegalArgumentException) {
      return ErrorCode.INVALID_REQUEST;
    }
    if (t instanceof TimeoutException) {
      return ErrorCode.REQUEST_TIMED_OUT;
    }
    if (t instanceof StatusRuntimeException sre) {
      return switch (sre.getStatus().getCode()) {
        case UNAVAILABLE -> ErrorCode.BROKER_NOT_AVAILABLE;
        case DEADLINE_EXCEEDED -> ErrorCode.REQUEST_TIMED_OUT;
        default -> ErrorCode.UNKNOWN_SERVER_ERROR;
      };
    }
    if (t instanceof CancellationException) {
      return ErrorCode.REQUEST_TIMED_OUT;
    }
    return ErrorCode.UNKNOWN_SERVER_ERROR;
  }

  public static String message(Throwable failure) {
    Throwable t = unwrap(failure);
    String message = t.getMessage();
    return message == null ? t.getClass().getSimpleName() : message;
  }

  /** The gRPC status class of a typed error, for calls that fail as a whole. */
  public static Status.Code statusCode(ErrorCode code) {
    return switch (code) {
      case NONE -> Status.Code.OK;
      case INVALID_TOPIC,
          INVALID_PARTITIONS,
          INVALID_REPLICATION_FACTOR,
          INVALID_CONFIG,
          INVALID_REQUEST,
          RECORD_TOO_LARGE,
          CORRUPT_MESSAGE,
          POLICY_VIOLATION ->
          Status.Code.INVALID_ARGUMENT;
      case UNKNOWN_TOPIC, UNKNOWN_PARTITION, UNKNOWN_PRODUCER_ID -> Status.Code.NOT_FOUND;
      case TOPIC_ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case NOT_LEADER,
          FENCED_LEADER_EPOCH,
          UNKNOWN_LEADER_EPOCH,
          OUT_OF_ORDER_SEQUENCE,
          DUPLICATE_SEQUENCE,
          INVALID_PRODUCER_EPOCH,
          NOT_CONTROLLER,
          STALE_BROKER_EPOCH,
          INVALID_UPDATE_VERSION ->
          Status.Code.FAILED_PRECONDITION;
      case NOT_ENOUGH_REPLICAS,
          NOT_ENOUGH_REPLICAS_AFTER_APPEND,
          LEADER_NOT_AVAILABLE,
          BROKER_NOT_AVAILABLE,
          STORAGE_ERROR,
          CONTROLLER_NOT_AVAILABLE ->
          Status.Code.UNAVAILABLE;
      case REQUEST_TIMED_OUT -> Status.Code.DEADLINE_EXCEEDED;
      case OFFSET_OUT_OF_RANGE -> Status.Code.OUT_OF_RANGE;
      default -> Status.Code.INTERNAL;
    };
  }

  /** A whole-call failure: status by code, description carrying the code name and the facts. */
  public static StatusRuntimeException toStatus(Throwable failure) {
    ErrorCode code = code(failure);
    return Status.fromCode(statusCode(code))
        .withDescription(code.name() + ": " + message(failure))
        .asRuntimeException();
  }
}
