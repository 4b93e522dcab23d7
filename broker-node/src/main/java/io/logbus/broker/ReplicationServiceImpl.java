package io.logbus.broker;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.logbus.proto.replication.FollowerMessage;
import io.logbus.proto.replication.LeaderMessage;
import io.logbus.proto.replication.ReplicationServiceGrpc;
import java.util.concurrent.Executor;

/**
 * The leader's end of replication: every follower broker opens one {@code Replicate} stream, served
 * by one {@link FollowerSession}. Thin adapter; the session holds the protocol.
 */
public final class ReplicationServiceImpl
    extends ReplicationServiceGrpc.ReplicationServiceImplBase {
  private final ReplicaManager replicaManager;
  private final Executor senderExecutor;
  private final int maxBytes;

  public ReplicationServiceImpl(
      ReplicaManager replicaManager, Executor senderExecutor, int maxBytes) {
    this.replicaManager = replicaManager;
    this.senderExecutor = senderExecutor;
    this.maxBytes = maxBytes;
  }

  @Override
  public StreamObserver<FollowerMessage> replicate(StreamObserver<LeaderMessage> responses) {
    return new FollowerSession(
        replicaManager,
        (ServerCallStreamObserver<LeaderMessage>) responses,
        senderExecutor,
        maxBytes);
  }
}
