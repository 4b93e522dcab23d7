package io.logbus.metadata;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.metadata.ControllerRequest;
import io.logbus.proto.metadata.ControllerResponse;
import io.logbus.proto.metadata.MetadataBatch;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.ReadBarrierResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller duties of the node that leads the quorum: validates requests, decides records,
 * proposes them, answers once they are committed; tracks broker sessions and fences brokers whose
 * session lapsed.
 *
 * <p>Every decision and its proposal happen under one lock, against a view that is the applied
 * image plus every proposed-but-not-yet-applied batch, and proposals are appended to the log in
 * that same order. So two concurrent creates of one name cannot both pass: the second sees the
 * first in the view. A batch carries a tag (term, sequence) that the state machine reports back
 * when it applies it, which tells the view which pending batches are already in the image.
 *
 * <p>The role is re-checked at every request and tick: when this node becomes the ready leader of a
 * new term it forgets pending batches of the old term and gives every broker a fresh session (it
 * has no heartbeat history). Requests on a node that is not the ready leader get a retriable
 * CONTROLLER_NOT_AVAILABLE (nothing was proposed); a proposal that fails because leadership was
 * lost answers a retriable NOT_CONTROLLER.
 *
 * <p>Thread-safe.
 */
final class ActiveController implements ControllerRequestHandler, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ActiveController.class);

  private final String name;
  private final Supplier<MetadataStateMachine.Applied> applied;
  private final ControllerRole role;
  private final Proposer proposer;
  private final BrokerHeartbeats heartbeats;
  private final Supplier<UUID> ids;
  private final ScheduledExecutorService ticker;
  private final AtomicLong ticks = new AtomicLong();

  private final Object lock = new Object();
  // Guarded by lock.
  private long activeTerm = -1;
  private long sequence;
  private final TreeMap<Long, List<MetadataRecord>> pending = new TreeMap<>();

  ActiveController(
      String name,
      Supplier<MetadataStateMachine.Applied> applied,
      ControllerRole role,
      Proposer proposer,
      Clock clock,
      Duration sessionTimeout,
      Duration tickInterval,
      Supplier<UUID> ids) {
    this.name = name;
    this.applied = applied;
    this.role = role;
    this.proposer = proposer;
    this.heartbeats = new BrokerHeartbeats(clock, sessionTimeout);
    this.ids = ids;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "controller-tick-" + name);
              t.setDaemon(true);
              return t;
            });
    long tick = Math.max(1, tickInterval.toMillis());
    ticker.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
  }

  @Override
  public CompletableFuture<ControllerResponse> handle(ControllerRequest req) {
    if (req.getRequestCase() == ControllerRequest.RequestCase.READ_BARRIER) {
      // Served by any node after Ratis' read index: answer how far this node has applied.
      return CompletableFuture.completedFuture(
          ControllerResponse.newBuilder()
              .setReadBarrier(
                  ReadBarrierResponse.newBuilder()
                      .setAppliedIndex(applied.get().image().lastAppliedIndex()))
              .build());
    }
    try {
      synchronized (lock) {
        if (!ensureActive()) {
          return CompletableFuture.completedFuture(notAvailable());
        }
        MetadataImage view = view();
        Decision d =
            switch (req.getRequestCase()) {
              case CREATE_TOPICS -> TopicRequests.createTopics(view, req.getCreateTopics(), ids);
              case DELETE_TOPICS -> TopicRequests.deleteTopics(view, req.getDeleteTopics());
              case CREATE_PARTITIONS ->
                  TopicRequests.createPartitions(view, req.getCreatePartitions());
              case ALTER_CONFIGS -> TopicRequests.alterConfigs(view, req.getAlterConfigs());
              case REGISTER_BROKER -> {
                heartbeats.touch(req.getRegisterBroker().getBrokerId());
                yield BrokerRequests.register(view, req.getRegisterBroker());
              }
              case HEARTBEAT -> heartbeat(view, req);
              case ALTER_PARTITION -> BrokerRequests.alterPartition(view, req.getAlterPartition());
              case CONTROLLED_SHUTDOWN ->
                  BrokerRequests.controlledShutdown(view, req.getControlledShutdown());
              case ALLOCATE_PRODUCER_IDS ->
                  BrokerRequests.allocateProducerIds(view, req.getAllocateProducerIds());
              default ->
                  Decision.error(
                      ErrorCode.INVALID_REQUEST,
                      "unknown controller request " + req.getRequestCase());
            };
        if (d.records().isEmpty()) {
          return CompletableFuture.completedFuture(d.response());
        }
        return propose(d.records())
            .handle(
                (ok, e) -> {
                  if (e == null) {
                    return d.response();
                  }
                  LOG.info("[{}] {} not committed: {}", name, req.getRequestCase(), e.toString());
                  return ControllerResponse.newBuilder()
                      .setError(ErrorCode.NOT_CONTROLLER)
                      .setErrorMessage(
                          name + " lost leadership before the request committed; retry: " + e)
                      .setRetriable(true)
                      .build();
                });
      }
    } catch (RuntimeException e) {
      LOG.error("[{}] controller failed on {}", name, req.getRequestCase(), e);
      return CompletableFuture.completedFuture(
          ControllerResponse.newBuilder()
              .setError(ErrorCode.UNKNOWN_SERVER_ERROR)
              .setErrorMessage(e.toString())
              .build());
    }
  }

  private Decision heartbeat(MetadataImage view, ControllerRequest req) {
    Decision d = BrokerRequests.heartbeat(view, req.getHeartbeat());
    if (d.response().getError() == ErrorCode.NONE) {
      heartbeats.touch(req.getHeartbeat().getBrokerId());
    }
    return d;
  }

  /** How many session checks ran while this node was the controller (for tests). */
  long ticks() {
    return ticks.get();
  }

  /** Fences brokers whose session lapsed. Runs on the ticker thread. */
  void tick() {
    try {
      synchronized (lock) {
        if (!ensureActive()) {
          return;
        }
        MetadataImage view = view();
        List<Integer> expired = heartbeats.expired(view.liveBrokerIds());
        ticks.incrementAndGet();
        if (expired.isEmpty()) {
          return;
        }
        List<MetadataRecord> records = BrokerRequests.fence(view, expired);
        if (!records.isEmpty()) {
          LOG.info("[{}] fencing brokers {}: session timed out", name, expired);
          propose(records)
              .exceptionally(
                  e -> {
                    LOG.info("[{}] fencing {} not committed: {}", name, expired, e.toString());
                    return null;
                  });
        }
      }
    } catch (RuntimeException e) {
      LOG.error("[{}] controller tick failed", name, e);
    }
  }

  private boolean ensureActive() {
    if (!role.isLeaderReady()) {
      if (activeTerm != -1) {
        LOG.info("[{}] no longer the controller (term {})", name, activeTerm);
        activeTerm = -1;
        pending.clear();
      }
      return false;
    }
    long term = role.term();
    if (term != activeTerm) {
      activeTerm = term;
      sequence = 0;
      pending.clear();
      MetadataImage image = applied.get().image();
      heartbeats.reset(image.brokers().keySet());
      LOG.info(
          "[{}] active controller for term {} at index {}", name, term, image.lastAppliedIndex());
    }
    return true;
  }

  /** The applied image with every pending batch of this term not yet applied on top. */
  private MetadataImage view() {
    MetadataStateMachine.Applied a = applied.get();
    if (pending.isEmpty()) {
      return a.image();
    }
    ImageBuilder b = null;
    for (Map.Entry<Long, List<MetadataRecord>> e : pending.entrySet()) {
      if (e.getKey() <= a.controllerTag()) {
        continue;
      }
      if (b == null) {
        b = new ImageBuilder(a.image());
      }
      for (MetadataRecord r : e.getValue()) {
        b.apply(r);
      }
    }
    return b == null
        ? a.image()
        : b.build(a.image().lastAppliedIndex(), a.image().lastAppliedTerm());
  }

  private CompletableFuture<Void> propose(List<MetadataRecord> records) {
    long tag = (activeTerm << 32) | ++sequence;
    pending.put(tag, records);
    CompletableFuture<Void> f;
    try {
      f =
          proposer.propose(
              MetadataBatch.newBuilder().addAllRecords(records).setControllerTag(tag).build());
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return f.whenComplete(
        (ok, e) -> {
          synchronized (lock) {
            pending.remove(tag);
          }
        });
  }

  private ControllerResponse notAvailable() {
    return ControllerResponse.newBuilder()
        .setError(ErrorCode.CONTROLLER_NOT_AVAILABLE)
        .setErrorMessage(name + " is not the ready quorum leader")
        .setRetriable(true)
        .build();
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
