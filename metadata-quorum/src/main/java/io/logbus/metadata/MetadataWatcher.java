package io.logbus.metadata;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.MetadataWatchGrpc;
import io.logbus.proto.metadata.WatchEntry;
import io.logbus.proto.metadata.WatchProgress;
import io.logbus.proto.metadata.WatchRequest;
import io.logbus.proto.metadata.WatchResponse;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata of a node that is not a voter: it streams the committed log from one voter at a time
 * ({@code MetadataWatch}), applies each entry to its in-memory image with the same {@link
 * ImageBuilder} the voters use, and hands entries to its own {@link MetadataPublisher}. When the
 * stream breaks (the voter died, stopped, or cut a slow reader off) it moves to the next voter and
 * resumes after the last index it applied; a voter that cannot replay from there sends a snapshot
 * first. Entries at or below the applied index are dropped, so nothing is applied twice.
 *
 * <p>Threads: gRPC delivers one stream's messages in order on its executor; {@link #apply} is
 * serialized by this object's lock, and only one stream is open at a time. One scheduler thread
 * reconnects.
 */
final class MetadataWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataWatcher.class);
  static final long RECONNECT_MIN_MS = 50;
  static final long RECONNECT_MAX_MS = 1_000;

  private final String name;
  private final int nodeId;
  private final List<InetSocketAddress> voters;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final MetadataPublisher publisher;
  private final ScheduledExecutorService reconnects;
  private final Object lock = new Object();
  // Guarded by lock.
  private MetadataImage image = MetadataImage.EMPTY;
  private int quorumLeaderId = -1;
  private final List<Waiter> waiters = new ArrayList<>();
  private int serving;
  private long backoffMs = RECONNECT_MIN_MS;
  private ClientCallStreamObserver<WatchRequest> call;
  private boolean closed;
  private long streams;

  private record Waiter(long index, CompletableFuture<Void> done) {}

  MetadataWatcher(String name, int nodeId, Map<Integer, InetSocketAddress> voters) {
    this.name = name;
    this.nodeId = nodeId;
    this.voters = List.copyOf(voters.values());
    for (InetSocketAddress v : this.voters) {
      channels.add(
          Grpc.newChannelBuilderForAddress(
                  v.getHostString(), v.getPort(), InsecureChannelCredentials.create())
              .maxInboundMessageSize(Integer.MAX_VALUE)
              .build());
    }
    // Spread watchers over the voters; the order after a failure is the list's.
    this.serving = Math.floorMod(nodeId, this.voters.size());
    this.publisher = new MetadataPublisher(name, MetadataImage.EMPTY);
    this.reconnects =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "metadata-watch-" + name);
              t.setDaemon(true);
              return t;
            });
  }

  void start() {
    reconnects.execute(this::connect);
  }

  MetadataPublisher publisher() {
    return publisher;
  }

  MetadataImage image() {
    synchronized (lock) {
      return image;
    }
  }

  int quorumLeaderId() {
    synchronized (lock) {
      return quorumLeaderId;
    }
  }

  /** The voter (index into the configured voter list) streaming to us now. */
  int servingVoter() {
    synchronized (lock) {
      return serving;
    }
  }

  /** Streams opened so far (tests watch reconnects). */
  long streams() {
    synchronized (lock) {
      return streams;
    }
  }

  /** Completes once the applied index reaches {@code index}. */
  CompletableFuture<Void> awaitApplied(long index) {
    synchronized (lock) {
      if (image.lastAppliedIndex() >= index) {
        return CompletableFuture.completedFuture(null);
      }
      Waiter w = new Waiter(index, new CompletableFuture<>());
      waiters.add(w);
      return w.done();
    }
  }

  private void connect() {
    long after;
    InetSocketAddress target;
    Observer observer;
    synchronized (lock) {
      if (closed) {
        return;
      }
      after = image.lastAppliedIndex();
      target = voters.get(serving);
      observer = new Observer(serving);
      streams++;
    }
    LOG.info("[{}] watching the metadata log at {} after index {}", name, target, after);
    MetadataWatchGrpc.newStub(channels.get(observer.voter))
        .watch(WatchRequest.newBuilder().setNodeId(nodeId).setAfterIndex(after).build(), observer);
  }

  /** One stream to one voter; after it ends, the next voter is tried. */
  private final class Observer implements ClientResponseObserver<WatchRequest, WatchResponse> {
    final int voter;

    Observer(int voter) {
      this.voter = voter;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      synchronized (lock) {
        call = requestStream;
      }
    }

    @Override
    public void onNext(WatchResponse response) {
      try {
        apply(response);
      } catch (MetadataException e) {
        LOG.error(
            "[{}] bad watch message from voter {}: {}", name, voters.get(voter), e.getMessage());
        ClientCallStreamObserver<WatchRequest> c;
        synchronized (lock) {
          c = call;
        }
        if (c != null) {
          c.cancel("bad watch message", e);
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      ended(t.toString());
    }

    @Override
    public void onCompleted() {
      ended("completed");
    }

    private void ended(String why) {
      long delay;
      synchronized (lock) {
        if (closed) {
          return;
        }
        serving = (voter + 1) % voters.size();
        delay = backoffMs;
        backoffMs = Math.min(RECONNECT_MAX_MS, backoffMs * 2);
      }
      LOG.info(
          "[{}] watch stream from {} ended ({}); next voter in {} ms",
          name,
          voters.get(voter),
          why,
          delay);
      try {
        reconnects.schedule(MetadataWatcher.this::connect, delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // closing
      }
    }
  }

  /** Applies one message; package-private for tests of the ordering rules. */
  void apply(WatchResponse response) {
    List<CompletableFuture<Void>> reached = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return;
      }
      // A message arrived: the stream works, so the next failure starts the backoff afresh.
      backoffMs = RECONNECT_MIN_MS;
      quorumLeaderId = response.getQuorumLeaderId();
      long applied = image.lastAppliedIndex();
      switch (response.getEventCase()) {
        case SNAPSHOT -> {
          MetadataImage snapshot = WatchFormat.toImage(response.getSnapshot());
          if (snapshot.lastAppliedIndex() > applied) {
            LOG.info(
                "[{}] loaded a metadata snapshot at index {} (had {})",
                name,
                snapshot.lastAppliedIndex(),
                applied);
            image = snapshot;
            publisher.reset(snapshot);
          }
        }
        case ENTRY -> {
          WatchEntry e = response.getEntry();
          if (e.getIndex() > applied) {
            for (MetadataRecord r : e.getRecordsList()) {
              if (r.getRecordCase() == MetadataRecord.RecordCase.RECORD_NOT_SET) {
                throw new MetadataException(
                    "entry " + e.getIndex() + " holds an unknown metadata record case");
              }
            }
            ImageBuilder builder = new ImageBuilder(image);
            e.getRecordsList().forEach(builder::apply);
            image = builder.build(e.getIndex(), e.getTerm());
            publisher.publish(e.getIndex(), e.getRecordsList(), image);
          }
        }
        case PROGRESS -> {
          WatchProgress p = response.getProgress();
          if (p.getIndex() > applied) {
            image = image.withApplied(p.getIndex(), p.getTerm());
            publisher.advance(image);
          }
        }
        default -> throw new MetadataException("watch message without an event");
      }
      long now = image.lastAppliedIndex();
      waiters.removeIf(
          w -> {
            if (w.index() <= now) {
              reached.add(w.done());
              return true;
            }
            return false;
          });
    }
    reached.forEach(f -> f.complete(null));
  }

  @Override
  public void close() {
    ClientCallStreamObserver<WatchRequest> c;
    List<Waiter> pending;
    synchronized (lock) {
      closed = true;
      c = call;
      pending = List.copyOf(waiters);
      waiters.clear();
    }
    reconnects.shutdownNow();
    if (c != null) {
      c.cancel("closing", null);
    }
    channels.forEach(ManagedChannel::shutdownNow);
    pending.forEach(
        w -> w.done().completeExceptionally(new MetadataException(name + " is closed")));
    publisher.close();
  }
}
