package io.logbus.group;

import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.ErrorCode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A well-behaved consumer as the coordinator sees it: heartbeats with what it owns and adopts each
 * answered assignment at once (it revokes immediately, so its next heartbeat acknowledges).
 */
final class TestMember {
  final GroupCoordinator coordinator;
  final String group;
  String memberId = "";
  int epoch = 0;
  List<String> topics;
  String assignor = "";
  Set<TopicPartition> owned = new TreeSet<>();
  ConsumerGroupHeartbeatResponse last;

  TestMember(GroupCoordinator coordinator, String group, String... topics) {
    this.coordinator = coordinator;
    this.group = group;
    this.topics = List.of(topics);
  }

  ConsumerGroupHeartbeatRequest.Builder request() {
    return ConsumerGroupHeartbeatRequest.newBuilder()
        .setGroupId(group)
        .setMemberId(memberId)
        .setMemberEpoch(epoch)
        .setClientId("client-" + group)
        .setClientHost("/127.0.0.1")
        .setServerAssignor(assignor)
        .addAllSubscribedTopicNames(topics)
        .addAllOwnedPartitions(ConsumerGroup.toProto(owned));
  }

  ConsumerGroupHeartbeatResponse heartbeat() {
    last = coordinator.heartbeat(request().build()).join();
    if (last.getError() == ErrorCode.NONE) {
      memberId = last.getMemberId();
      epoch = last.getMemberEpoch();
      owned = ConsumerGroup.toSet(last.getAssignmentList());
    }
    return last;
  }

  ConsumerGroupHeartbeatResponse leave() {
    last = coordinator.heartbeat(request().setMemberEpoch(-1).build()).join();
    owned = new TreeSet<>();
    return last;
  }

  /** Heartbeats every member in turn until a whole round changes nothing (bounded). */
  static void converge(TestMember... members) {
    for (int round = 0; round < 20; round++) {
      boolean changed = false;
      for (TestMember m : members) {
        Set<TopicPartition> before = m.owned;
        int epochBefore = m.epoch;
        m.heartbeat();
        changed |= !before.equals(m.owned) || epochBefore != m.epoch;
      }
      if (!changed) {
        return;
      }
    }
    throw new AssertionError("group did not converge in 20 rounds");
  }

  static Set<TopicPartition> partitions(String topic, int... ps) {
    Set<TopicPartition> set = new TreeSet<>();
    for (int p : ps) {
      set.add(new TopicPartition(topic, p));
    }
    return set;
  }
}
