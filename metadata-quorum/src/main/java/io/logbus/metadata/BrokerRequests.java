package io.logbus.metadata;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.metadata.AllocateProducerIds;
import io.logbus.proto.metadata.AllocateProducerIdsRequest;
import io.logbus.proto.metadata.AllocateProducerIdsResponse;
import io.logbus.proto.metadata.AlterPartitionRequest;
import io.logbus.proto.metadata.AlterPartitionResponse;
import io.logbus.proto.metadata.BrokerHeartbeatRequest;
import io.logbus.proto.metadata.BrokerHeartbeatResponse;
import io.logbus.proto.metadata.BrokerRegistrationRequest;
import io.logbus.proto.metadata.BrokerRegistrationResponse;
import io.logbus.proto.metadata.ControlledShutdownRequest;
import io.logbus.proto.metadata.ControlledShutdownResponse;
import io.logbus.proto.metadata.ControllerResponse;
import io.logbus.proto.metadata.FenceBroker;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.PartitionChange;
import io.logbus.proto.metadata.RegisterBroker;
import io.logbus.proto.metadata.UnfenceBroker;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Validates broker lifecycle requests (registration, heartbeat, ISR change, producer ids) and
 * session expiry against the controller's view and turns them into records. Pure.
 */
final class BrokerRequests {
  static final int MAX_PRODUCER_ID_BLOCK = 1_000_000;

  private BrokerRequests() {}

  static Decision register(MetadataImage view, BrokerRegistrationRequest req) {
    if (req.getBrokerId() < 0) {
      return Decision.error(ErrorCode.INVALID_REQUEST, "broker id " + req.getBrokerId() + " < 0");
    }
    if (req.getEndpointsCount() == 0
        || req.getEndpoints(0).getHost().isBlank()
        || req.getEndpoints(0).getPort() < 1
        || req.getEndpoints(0).getPort() > 65535) {
      return Decision.error(
          ErrorCode.INVALID_REQUEST,
          "broker " + req.getBrokerId() + " needs an endpoint with a host and a port in 1..65535");
    }
    if (req.getIncarnationId().isBlank()) {
      return Decision.error(
          ErrorCode.INVALID_REQUEST, "broker " + req.getBrokerId() + " sent no incarnation id");
    }
    BrokerRegistration existing = view.brokers().get(req.getBrokerId());
    if (existing != null && existing.incarnationId().equals(req.getIncarnationId())) {
      // The same process asking again (a retry): same answer, nothing new to log.
      return Decision.answer(registered(existing.epoch()));
    }
    long epoch = existing == null ? 1 : existing.epoch() + 1;
    MetadataRecord reg =
        MetadataRecord.newBuilder()
            .setRegisterBroker(
                RegisterBroker.newBuilder()
                    .setBrokerId(req.getBrokerId())
                    .addAllEndpoints(req.getEndpointsList())
                    .setIncarnationId(req.getIncarnationId())
                    .setBrokerEpoch(epoch))
            .build();
    List<MetadataRecord> records = new ArrayList<>();
    if (existing != null && !existing.fenced()) {
      // A new incarnation while the old one's session is still open: the process restarted
      // faster than the session timeout, maybe with a torn log tail. Fence the old incarnation
      // first, in the same batch, so it leaves every ISR and each partition it led gets a new
      // leader or at least a new leader epoch. Re-leading at the old epoch would let followers
      // truncate acknowledged records to match the restarted leader's shorter log.
      records.addAll(fence(view, List.of(req.getBrokerId())));
    }
    records.add(reg);
    ImageBuilder b = new ImageBuilder(view);
    records.forEach(b::apply);
    MetadataImage after = b.build(view.lastAppliedIndex(), view.lastAppliedTerm());
    for (PartitionChange pc : PartitionElections.onBrokerUnfenced(after, req.getBrokerId())) {
      records.add(MetadataRecord.newBuilder().setPartitionChange(pc).build());
    }
    return new Decision(records, registered(epoch));
  }

  private static ControllerResponse registered(long epoch) {
    return ControllerResponse.newBuilder()
        .setRegisterBroker(BrokerRegistrationResponse.newBuilder().setBrokerEpoch(epoch))
        .build();
  }

  /** The refusal of a request from an unknown broker or a stale epoch; null if it may go on. */
  private static Decision checkSession(MetadataImage view, int brokerId, long epoch, String what) {
    BrokerRegistration b = view.brokers().get(brokerId);
    if (b == null) {
      return Decision.error(
          ErrorCode.BROKER_NOT_AVAILABLE, "broker " + brokerId + " is not registered");
    }
    if (b.epoch() != epoch) {
      return Decision.error(
          ErrorCode.STALE_BROKER_EPOCH,
          "broker "
              + brokerId
              + " "
              + what
              + " with epoch "
              + epoch
              + ", registered epoch is "
              + b.epoch());
    }
    return null;
  }

  /** A heartbeat from a valid session; a fenced broker is unfenced and may take leadership. */
  static Decision heartbeat(MetadataImage view, BrokerHeartbeatRequest req) {
    Decision refused = checkSession(view, req.getBrokerId(), req.getBrokerEpoch(), "heartbeat");
    if (refused != null) {
      return refused;
    }
    BrokerRegistration b = view.brokers().get(req.getBrokerId());
    ControllerResponse ok =
        ControllerResponse.newBuilder()
            .setHeartbeat(
                BrokerHeartbeatResponse.newBuilder()
                    .setFenced(false)
                    .setCommittedIndex(view.lastAppliedIndex()))
            .build();
    if (!b.fenced()) {
      return Decision.answer(ok);
    }
    MetadataRecord unfence =
        MetadataRecord.newBuilder()
            .setUnfenceBroker(
                UnfenceBroker.newBuilder().setBrokerId(b.id()).setBrokerEpoch(b.epoch()))
            .build();
    List<MetadataRecord> records = new ArrayList<>();
    records.add(unfence);
    ImageBuilder ib = new ImageBuilder(view);
    ib.apply(unfence);
    MetadataImage after = ib.build(view.lastAppliedIndex(), view.lastAppliedTerm());
    for (PartitionChange pc : PartitionElections.onBrokerUnfenced(after, b.id())) {
      records.add(MetadataRecord.newBuilder().setPartitionChange(pc).build());
    }
    return new Decision(records, ok);
  }

  /** Fences every broker in {@code expired} and moves its partitions' leadership, as one batch. */
  static List<MetadataRecord> fence(MetadataImage view, List<Integer> expired) {
    List<MetadataRecord> records = new ArrayList<>();
    MetadataImage current = view;
    for (int id : expired) {
      BrokerRegistration b = current.brokers().get(id);
      if (b == null || b.fenced()) {
        continue;
      }
      ImageBuilder ib = new ImageBuilder(current);
      MetadataRecord fence =
          MetadataRecord.newBuilder()
              .setFenceBroker(FenceBroker.newBuilder().setBrokerId(id).setBrokerEpoch(b.epoch()))
              .build();
      records.add(fence);
      ib.apply(fence);
      MetadataImage fenced = ib.build(view.lastAppliedIndex(), view.lastAppliedTerm());
      Set<Integer> live = new HashSet<>(fenced.liveBrokerIds());
      for (PartitionChange pc : PartitionElections.onBrokerFenced(fenced, id, live)) {
        MetadataRecord rec = MetadataRecord.newBuilder().setPartitionChange(pc).build();
        records.add(rec);
        ib.apply(rec);
      }
      current = ib.build(view.lastAppliedIndex(), view.lastAppliedTerm());
    }
    return records;
  }

  /**
   * A broker stopping gracefully (Kafka's ControlledShutdown): fenced now, in one batch with the
   * leader moves and ISR removals of {@link #fence}, so clients find new leaders before it stops
   * instead of after its session times out. Answers how many partitions are offline until it
   * returns (it is their last ISR member). A broker already fenced answers at once.
   */
  static Decision controlledShutdown(MetadataImage view, ControlledShutdownRequest req) {
    Decision refused =
        checkSession(view, req.getBrokerId(), req.getBrokerEpoch(), "controlled shutdown");
    if (refused != null) {
      return refused;
    }
    BrokerRegistration b = view.brokers().get(req.getBrokerId());
    List<MetadataRecord> records = fence(view, List.of(b.id()));
    ImageBuilder ib = new ImageBuilder(view);
    records.forEach(ib::apply);
    MetadataImage after = ib.build(view.lastAppliedIndex(), view.lastAppliedTerm());
    int offline = 0;
    for (TopicImage t : after.topics().values()) {
      for (PartitionState p : t.partitions()) {
        if (p.leader() == PartitionState.NO_LEADER && p.isr().equals(List.of(b.id()))) {
          offline++;
        }
      }
    }
    return new Decision(
        records,
        ControllerResponse.newBuilder()
            .setControlledShutdown(
                ControlledShutdownResponse.newBuilder().setRemainingLeaderships(offline))
            .build());
  }

  static Decision alterPartition(MetadataImage view, AlterPartitionRequest req) {
    TopicImage t = view.topics().get(req.getTopic());
    if (t == null) {
      return Decision.error(ErrorCode.UNKNOWN_TOPIC, "topic " + req.getTopic() + " does not exist");
    }
    if (req.getPartition() < 0 || req.getPartition() >= t.partitionCount()) {
      return Decision.error(
          ErrorCode.UNKNOWN_PARTITION,
          "topic " + t.name() + " has no partition " + req.getPartition());
    }
    PartitionState p = t.partition(req.getPartition());
    String tp = t.name() + "-" + p.partition();
    if (req.getLeaderId() != p.leader() || req.getLeaderEpoch() < p.leaderEpoch()) {
      return Decision.error(
          ErrorCode.FENCED_LEADER_EPOCH,
          tp
              + ": request from leader "
              + req.getLeaderId()
              + " epoch "
              + req.getLeaderEpoch()
              + ", current leader "
              + p.leader()
              + " epoch "
              + p.leaderEpoch());
    }
    if (req.getLeaderEpoch() > p.leaderEpoch()) {
      return Decision.error(
          ErrorCode.UNKNOWN_LEADER_EPOCH,
          tp + ": leader epoch " + req.getLeaderEpoch() + " > current " + p.leaderEpoch());
    }
    if (req.getPartitionEpoch() != p.partitionEpoch()) {
      return Decision.error(
          ErrorCode.INVALID_UPDATE_VERSION,
          tp + ": partition epoch " + req.getPartitionEpoch() + ", current " + p.partitionEpoch());
    }
    List<Integer> isr = req.getNewIsrList();
    Set<Integer> distinct = new HashSet<>(isr);
    if (isr.isEmpty() || distinct.size() != isr.size() || !isr.contains(p.leader())) {
      return Decision.error(
          ErrorCode.INVALID_REQUEST,
          tp + ": new ISR " + isr + " must be non-empty, distinct and hold the leader");
    }
    Set<Integer> live = new HashSet<>(view.liveBrokerIds());
    for (int r : isr) {
      if (!p.replicas().contains(r) || (!live.contains(r) && !p.isr().contains(r))) {
        return Decision.error(
            ErrorCode.INELIGIBLE_REPLICA,
            tp + ": broker " + r + " is not a live replica (replicas " + p.replicas() + ")");
      }
    }
    if (isr.equals(p.isr())) {
      return Decision.answer(altered(p));
    }
    PartitionChange pc = PartitionElections.change(t, p, p.leader(), isr).orElseThrow();
    PartitionState after =
        new PartitionState(
            pc.getPartition(),
            pc.getLeader(),
            pc.getLeaderEpoch(),
            pc.getPartitionEpoch(),
            pc.getReplicasList(),
            pc.getIsrList());
    return new Decision(
        List.of(MetadataRecord.newBuilder().setPartitionChange(pc).build()), altered(after));
  }

  private static ControllerResponse altered(PartitionState p) {
    return ControllerResponse.newBuilder()
        .setAlterPartition(
            AlterPartitionResponse.newBuilder().setPartition(MetadataStoreFormat.toStored(p)))
        .build();
  }

  static Decision allocateProducerIds(MetadataImage view, AllocateProducerIdsRequest req) {
    if (!view.brokers().containsKey(req.getBrokerId())) {
      return Decision.error(
          ErrorCode.BROKER_NOT_AVAILABLE, "broker " + req.getBrokerId() + " is not registered");
    }
    if (req.getCount() < 1 || req.getCount() > MAX_PRODUCER_ID_BLOCK) {
      return Decision.error(
          ErrorCode.INVALID_REQUEST,
          "producer id block of " + req.getCount() + ", allowed 1.." + MAX_PRODUCER_ID_BLOCK);
    }
    long first = view.nextProducerId();
    return new Decision(
        List.of(
            MetadataRecord.newBuilder()
                .setAllocateProducerIds(
                    AllocateProducerIds.newBuilder()
                        .setBrokerId(req.getBrokerId())
                        .setFirstId(first)
                        .setCount(req.getCount()))
                .build()),
        ControllerResponse.newBuilder()
            .setAllocateProducerIds(
                AllocateProducerIdsResponse.newBuilder().setFirstId(first).setCount(req.getCount()))
            .build());
  }
}
