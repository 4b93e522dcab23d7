package io.logbus.broker;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.LeaderHint;

/**
 * A request the broker refuses with a typed error code (NOT_LEADER, FENCED_LEADER_EPOCH,
 * NOT_ENOUGH_REPLICAS, UNKNOWN_TOPIC, INVALID_REQUEST, ...). Carries the leader hint when the
 * caller should go elsewhere. {@link ErrorMapping} turns it into a response code and a gRPC status.
 */
public class BrokerException extends RuntimeException {
  private final ErrorCode code;
  private final LeaderHint leader;

  public BrokerException(ErrorCode code, String message) {
    this(code, message, null);
  }

  public BrokerException(ErrorCode code, String message, LeaderHint leader) {
    super(message, null, false, false);
    this.code = code;
    this.leader = leader;
  }

  public ErrorCode code() {
    return code;
  }

  /** The leader to go to instead, or null. */
  public LeaderHint leader() {
    return leader;
  }

  public static BrokerException invalidRequest(String message) {
    return new BrokerException(ErrorCode.INVALID_REQUEST, message);
  }

  public static BrokerException notLeader(String partition, int leaderId, int leaderEpoch) {
    return new BrokerException(
        ErrorCode.NOT_LEADER,
        partition + ": this broker is not the leader (leader " + leaderId + ")",
        LeaderHint.newBuilder().setLeaderId(leaderId).setLeaderEpoch(leaderEpoch).build());
  }

  public static BrokerException unknownPartition(String topic, int partition) {
    return new BrokerException(
        ErrorCode.UNKNOWN_PARTITION,
        "no replica of " + topic + "-" + partition + " on this broker");
  }
}
