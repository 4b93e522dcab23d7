package io.logbus.metadata;

import com.google.protobuf.InvalidProtocolBufferException;
import io.logbus.metadata.SnapshotStore.SnapshotRef;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.metadata.ControllerRequest;
import io.logbus.proto.metadata.ControllerResponse;
import io.logbus.proto.metadata.MetadataBatch;
import io.logbus.proto.metadata.MetadataRecord;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of the metadata log. It only decodes, orders and dispatches: a log entry
 * is a {@link MetadataBatch}; {@link ClusterState} applies it; {@link MetadataPublisher} tells
 * listeners. Queries are {@link ControllerRequest}s handed to the controller.
 *
 * <p>Snapshots are {@link SnapshotStore} checkpoints in Ratis' state machine directory, so Ratis
 * can send them to a lagging or new voter and purge its log behind them; {@link #reinitialize()}
 * loads one that Ratis installed. The live database lives outside that directory because an
 * installed snapshot replaces the directory wholesale.
 *
 * <p>Threads: Ratis calls apply, snapshot and reinitialize on its single state-machine updater
 * thread; queries arrive on gRPC threads.
 */
final class MetadataStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataStateMachine.class);
  static final int SNAPSHOTS_RETAINED = 2;

  /** Older snapshots stay this long so a transfer to a follower that started can finish. */
  static final Duration SNAPSHOT_MIN_AGE = Duration.ofSeconds(60);

  /** The last applied image with the controller tag of the entry that produced it. */
  record Applied(MetadataImage image, long controllerTag) {}

  private final String name;
  private final Path dbDir;
  private final Storage storage = new Storage();
  private volatile ClusterState state;
  private volatile SnapshotStore snapshots;
  private volatile Applied applied = new Applied(MetadataImage.EMPTY, 0);
  private volatile MetadataPublisher publisher;
  private volatile ControllerRequestHandler handler;
  // Ratis asks for the latest snapshot often; it changes only when we take or load one.
  private volatile SnapshotInfo latestSnapshot;

  MetadataStateMachine(String name, Path dbDir) {
    this.name = name;
    this.dbDir = dbDir;
  }

  void setHandler(ControllerRequestHandler handler) {
    this.handler = handler;
  }

  Applied applied() {
    return applied;
  }

  MetadataImage image() {
    return applied.image();
  }

  /** Registers a listener; valid once the state machine was initialized by the server. */
  void subscribe(long afterIndex, MetadataListener listener) {
    publisher.subscribe(afterIndex, listener);
  }

  /** Null until Ratis initialized this state machine. */
  MetadataPublisher publisher() {
    return publisher;
  }

  byte[] contentDigest() {
    return state.contentDigest();
  }

  List<String> dumpState() {
    return state.dump();
  }

  Optional<SnapshotRef> latestSnapshotRef() {
    return snapshots == null ? Optional.empty() : snapshots.latest();
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    getLifeCycle().transition(LifeCycle.State.STARTING);
    load();
    publisher = new MetadataPublisher(name, applied.image());
    getLifeCycle().transition(LifeCycle.State.RUNNING);
  }

  /** Ratis pauses us before it replaces the snapshot directory with one from the leader. */
  @Override
  public void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /** Loads the snapshot Ratis just installed (called on the apply thread, after pause). */
  @Override
  public void reinitialize() throws IOException {
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
    }
    ClusterState old = state;
    if (old != null) {
      old.close();
    }
    load();
    publisher.reset(applied.image());
    if (getLifeCycleState() == LifeCycle.State.STARTING) {
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  /** Opens the live database, first restoring the newest snapshot if the database is older. */
  private void load() {
    Optional<SnapshotRef> snap = snapshots.latest();
    ClusterState s = ClusterState.open(dbDir);
    if (snap.isPresent() && snap.get().index() > s.image().lastAppliedIndex()) {
      LOG.info(
          "[{}] state at {} is behind snapshot {}, restoring it",
          name,
          s.image().lastAppliedIndex(),
          snap.get().dir().getFileName());
      s.close();
      snapshots.restoreInto(snap.get(), dbDir);
      s = ClusterState.open(dbDir);
      // Entries between the last metadata entry and the snapshot index carried no metadata.
      s.markApplied(snap.get().term(), snap.get().index());
    }
    state = s;
    latestSnapshot = snap.map(this::toSnapshotInfo).orElse(null);
    MetadataImage image = s.image();
    applied = new Applied(image, 0);
    if (image.lastAppliedIndex() >= 0) {
      setLastAppliedTermIndex(TermIndex.valueOf(image.lastAppliedTerm(), image.lastAppliedIndex()));
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    long term = entry.getTerm();
    if (index <= applied.image().lastAppliedIndex()) {
      // Ratis replays from its snapshot index; the database is already past this entry.
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    MetadataBatch batch;
    try {
      batch = MetadataBatch.parseFrom(entry.getStateMachineLogEntry().getLogData().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      return skip(term, index, "entry " + index + " is not a MetadataBatch: " + e.getMessage());
    }
    for (MetadataRecord r : batch.getRecordsList()) {
      if (r.getRecordCase() == MetadataRecord.RecordCase.RECORD_NOT_SET) {
        // Written by a newer version or damaged: every replica skips it alike.
        return skip(term, index, "entry " + index + " holds an unknown metadata record case");
      }
    }
    MetadataImage image = state.apply(term, index, batch.getRecordsList());
    applied = new Applied(image, batch.getControllerTag());
    updateLastAppliedTermIndex(term, index);
    publisher.publish(index, batch.getRecordsList(), image);
    return CompletableFuture.completedFuture(Message.EMPTY);
  }

  private CompletableFuture<Message> skip(long term, long index, String why) {
    LOG.error("[{}] {}", name, why);
    notifyTermIndexUpdated(term, index);
    return CompletableFuture.failedFuture(new MetadataException(why));
  }

  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    // A Raft configuration or leader no-op entry: record progress so snapshot and replay agree.
    ClusterState s = state;
    if (s == null || index <= s.image().lastAppliedIndex()) {
      return;
    }
    s.markApplied(term, index);
    applied = new Applied(s.image(), applied.controllerTag());
    publisher.advance(s.image());
    super.notifyTermIndexUpdated(term, index);
  }

  @Override
  public long takeSnapshot() {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    SnapshotRef ref = snapshots.take(state, last.getTerm(), last.getIndex());
    latestSnapshot = toSnapshotInfo(ref);
    snapshots.retain(SNAPSHOTS_RETAINED, SNAPSHOT_MIN_AGE);
    return last.getIndex();
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return storage.getLatestSnapshot();
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  private SnapshotInfo toSnapshotInfo(SnapshotRef ref) {
    List<FileInfo> files = new ArrayList<>();
    for (Path p : snapshots.files(ref)) {
      // Ratis computes the MD5 while streaming a file to a follower and checks it there.
      files.add(new FileInfo(p.toAbsolutePath(), null));
    }
    return new FileListSnapshotInfo(files, ref.term(), ref.index());
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    ControllerRequestHandler h = handler;
    ControllerRequest req;
    try {
      req = ControllerRequest.parseFrom(request.getContent().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      return reply(
          ControllerResponse.newBuilder()
              .setError(ErrorCode.INVALID_REQUEST)
              .setErrorMessage("not a ControllerRequest: " + e.getMessage())
              .build());
    }
    if (h == null) {
      return reply(
          ControllerResponse.newBuilder()
              .setError(ErrorCode.CONTROLLER_NOT_AVAILABLE)
              .setErrorMessage(name + " is starting")
              .setRetriable(true)
              .build());
    }
    return h.handle(req).thenApply(MetadataStateMachine::toMessage);
  }

  private static CompletableFuture<Message> reply(ControllerResponse r) {
    return CompletableFuture.completedFuture(toMessage(r));
  }

  static Message toMessage(com.google.protobuf.MessageLite m) {
    return Message.valueOf(ByteString.copyFrom(m.toByteArray()));
  }

  @Override
  public void close() throws IOException {
    super.close();
    MetadataPublisher p = publisher;
    if (p != null) {
      p.close();
    }
    ClusterState s = state;
    if (s != null) {
      s.close();
    }
  }

  /** Ratis' view of our snapshots: the state machine directory holds only snapshot dirs. */
  private final class Storage implements StateMachineStorage {
    @Override
    public void init(RaftStorage raftStorage) {
      File smDir = raftStorage.getStorageDir().getStateMachineDir();
      snapshots = new SnapshotStore(smDir.toPath());
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
      return latestSnapshot;
    }

    @Override
    public void format() {}

    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) {
      snapshots.retain(
          Math.max(SNAPSHOTS_RETAINED, policy.getNumSnapshotsRetained()), SNAPSHOT_MIN_AGE);
    }
  }
}
