package io.logbus.metadata;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.MetadataWatchGrpc;
import io.logbus.proto.metadata.WatchEntry;
import io.logbus.proto.metadata.WatchProgress;
import io.logbus.proto.metadata.WatchRequest;
import io.logbus.proto.metadata.WatchResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;
import java.util.List;
import java.util.function.IntSupplier;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.MethodDescriptor;
import org.apache.ratis.thirdparty.io.grpc.ServerServiceDefinition;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCallStreamObserver;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The voter side of {@code MetadataWatch}: served on the voter's quorum port by Ratis' own gRPC
 * server (added through its services customizer; Ratis ships gRPC relocated, so the method is
 * described here with that copy and the generated messages are (un)marshalled as bytes). Each call
 * is a subscription to this voter's {@link MetadataPublisher}, which already guarantees order,
 * exactly-once and snapshot-first for a position it cannot replay.
 *
 * <p>A watcher that does not read (the stream stays not-ready) while {@link #MAX_UNREAD} messages
 * pile up is cut off with RESOURCE_EXHAUSTED; it reconnects from its applied index.
 */
final class WatchService implements GrpcServices.Customizer {
  private static final Logger LOG = LoggerFactory.getLogger(WatchService.class);
  static final int MAX_UNREAD = 10_000;

  /** Where subscriptions go; null until the state machine is initialized. */
  interface Source {
    MetadataPublisher publisher();
  }

  private final String name;
  private final Source source;
  private final IntSupplier leaderId;
  private final ServerServiceDefinition definition;

  WatchService(String name, Source source, IntSupplier leaderId) {
    this.name = name;
    this.source = source;
    this.leaderId = leaderId;
    MethodDescriptor<WatchRequest, WatchResponse> method =
        MethodDescriptor.<WatchRequest, WatchResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(MetadataWatchGrpc.getWatchMethod().getFullMethodName())
            .setRequestMarshaller(new Marshaller<>(WatchRequest.parser()))
            .setResponseMarshaller(new Marshaller<>(WatchResponse.parser()))
            .build();
    this.definition =
        ServerServiceDefinition.builder(MetadataWatchGrpc.SERVICE_NAME)
            .addMethod(method, ServerCalls.asyncServerStreamingCall(this::watch))
            .build();
  }

  @Override
  public NettyServerBuilder customize(
      NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
    return types.contains(GrpcServices.Type.SERVER) ? builder.addService(definition) : builder;
  }

  private void watch(WatchRequest request, StreamObserver<WatchResponse> responses) {
    ServerCallStreamObserver<WatchResponse> out =
        (ServerCallStreamObserver<WatchResponse>) responses;
    MetadataPublisher publisher = source.publisher();
    if (publisher == null) {
      out.onError(Status.UNAVAILABLE.withDescription(name + " is starting").asRuntimeException());
      return;
    }
    if (request.getAfterIndex() < -1) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription("after_index " + request.getAfterIndex() + " < -1")
              .asRuntimeException());
      return;
    }
    Session session = new Session(request.getNodeId(), out, publisher);
    out.setOnReadyHandler(session::ready);
    out.setOnCancelHandler(session::cancelled);
    LOG.info(
        "[{}] node {} watches the metadata log after index {}",
        name,
        request.getNodeId(),
        request.getAfterIndex());
    publisher.subscribe(request.getAfterIndex(), session);
  }

  /**
   * One watcher's subscription; called on the publisher's dispatch thread (and gRPC's for ready).
   */
  private final class Session implements MetadataPublisher.EntryListener {
    private final int nodeId;
    private final ServerCallStreamObserver<WatchResponse> out;
    private final MetadataPublisher publisher;
    private volatile int unread;
    private volatile boolean done;

    Session(int nodeId, ServerCallStreamObserver<WatchResponse> out, MetadataPublisher publisher) {
      this.nodeId = nodeId;
      this.out = out;
      this.publisher = publisher;
    }

    void ready() {
      unread = 0;
    }

    void cancelled() {
      done = true;
      publisher.unsubscribe(this);
      LOG.info("[{}] node {} stopped watching", name, nodeId);
    }

    @Override
    public void onSnapshot(MetadataImage image) {
      send(WatchResponse.newBuilder().setSnapshot(WatchFormat.toSnapshot(image)));
    }

    @Override
    public void onEntry(long index, List<MetadataRecord> records, MetadataImage imageAfter) {
      send(
          WatchResponse.newBuilder()
              .setEntry(
                  WatchEntry.newBuilder()
                      .setIndex(index)
                      .setTerm(imageAfter.lastAppliedTerm())
                      .addAllRecords(records)));
    }

    @Override
    public void onProgress(MetadataImage image) {
      send(
          WatchResponse.newBuilder()
              .setProgress(
                  WatchProgress.newBuilder()
                      .setIndex(image.lastAppliedIndex())
                      .setTerm(image.lastAppliedTerm())));
    }

    private void send(WatchResponse.Builder response) {
      if (done) {
        return;
      }
      if (!out.isReady() && ++unread > MAX_UNREAD) {
        done = true;
        publisher.unsubscribe(this);
        LOG.warn("[{}] node {} reads its watch stream too slowly; cutting it off", name, nodeId);
        out.onError(
            Status.RESOURCE_EXHAUSTED
                .withDescription(MAX_UNREAD + " unread metadata messages")
                .asRuntimeException());
        return;
      }
      try {
        out.onNext(response.setQuorumLeaderId(leaderId.getAsInt()).build());
      } catch (RuntimeException e) {
        // The call was cancelled or the server is stopping: the watcher reconnects elsewhere.
        done = true;
        publisher.unsubscribe(this);
        LOG.debug("[{}] watch stream of node {} ended: {}", name, nodeId, e.toString());
      }
    }
  }

  /** Protobuf messages of the (unrelocated) generated classes as bytes on Ratis' gRPC. */
  private static final class Marshaller<T extends MessageLite>
      implements MethodDescriptor.Marshaller<T> {
    private final Parser<T> parser;

    Marshaller(Parser<T> parser) {
      this.parser = parser;
    }

    @Override
    public InputStream stream(T value) {
      return new ByteArrayInputStream(value.toByteArray());
    }

    @Override
    public T parse(InputStream stream) {
      try {
        return parser.parseFrom(stream);
      } catch (InvalidProtocolBufferException e) {
        throw Status.INVALID_ARGUMENT
            .withDescription("undecodable watch message: " + e.getMessage())
            .asRuntimeException();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription(e.toString()).asRuntimeException();
      }
    }
  }
}
