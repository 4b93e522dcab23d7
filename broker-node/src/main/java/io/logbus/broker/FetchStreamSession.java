package io.logbus.broker;

import io.grpc.stub.ServerCallStreamObserver;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchPartitionData;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.FetchResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

/**
 * A FetchStream call: pushes each partition's batches below the HW as it advances, one partition
 * per response message. Flow control: sends only while the transport {@code isReady}; {@code
 * onReady}, appends and HW moves wake a {@link SerialRunner}, which is the only caller of {@code
 * onNext}. A partition that fails (not leader, out of range) is answered with its error once and
 * dropped; the call completes when none is left, and cancellation removes every listener.
 */
final class FetchStreamSession {
  private static final class Position {
    final FetchPartition request;
    long nextOffset;
    Partition watched;

    Position(FetchPartition request) {
      this.request = request;
      this.nextOffset = request.getFetchOffset();
    }
  }

  private final ServerCallStreamObserver<FetchResponse> out;
  private final PartitionReads reads;
  private final ReplicaManager replicaManager;
  private final List<Position> positions = new CopyOnWriteArrayList<>();
  private final SerialRunner pusher;
  private final Runnable wake;
  private final int maxBytes;
  private volatile boolean done;

  FetchStreamSession(
      FetchRequest request,
      ServerCallStreamObserver<FetchResponse> out,
      PartitionReads reads,
      ReplicaManager replicaManager,
      Executor executor) {
    this.out = out;
    this.reads = reads;
    this.replicaManager = replicaManager;
    this.maxBytes =
        request.getMaxBytes() == 0
            ? BrokerServiceImpl.DEFAULT_FETCH_MAX_BYTES
            : request.getMaxBytes();
    this.pusher = new SerialRunner(executor, this::push);
    this.wake = pusher::wake;
    for (FetchPartition p : request.getPartitionsList()) {
      positions.add(new Position(p));
    }
  }

  void start() {
    out.setOnCancelHandler(this::finish);
    out.setOnReadyHandler(wake);
    for (Position position : positions) {
      replicaManager
          .partition(new PartitionKey(position.request.getTopic(), position.request.getPartition()))
          .ifPresent(
              partition -> {
                partition.addListener(wake);
                position.watched = partition;
              });
    }
    pusher.wake();
  }

  private void push() {
    boolean progress = true;
    while (progress && !done) {
      progress = false;
      for (Position position : positions) {
        if (done || !out.isReady()) {
          return;
        }
        int partitionMax =
            position.request.getPartitionMaxBytes() == 0
                ? maxBytes
                : Math.min(maxBytes, position.request.getPartitionMaxBytes());
        FetchPartitionData data = reads.read(position.request, position.nextOffset, partitionMax);
        if (data.getError() != ErrorCode.NONE) {
          positions.remove(position);
          if (position.watched != null) {
            position.watched.removeListener(wake);
          }
          send(data);
          progress = true;
          continue;
        }
        if (data.getRecords().isEmpty()) {
          continue;
        }
        position.nextOffset =
            Batches.nextOffset(data.getRecords().asReadOnlyByteBuffer(), position.nextOffset);
        send(data);
        progress = true;
      }
      if (positions.isEmpty()) {
        finish();
        try {
          out.onCompleted();
        } catch (RuntimeException e) {
          // cancelled meanwhile
        }
        return;
      }
    }
  }

  private void send(FetchPartitionData data) {
    try {
      out.onNext(FetchResponse.newBuilder().addPartitions(data).build());
    } catch (RuntimeException e) {
      finish();
    }
  }

  private void finish() {
    done = true;
    for (Position position : positions) {
      if (position.watched != null) {
        position.watched.removeListener(wake);
      }
    }
  }
}
