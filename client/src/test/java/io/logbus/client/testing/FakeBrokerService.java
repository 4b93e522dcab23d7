package io.logbus.client.testing;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.logbus.proto.BrokerInfo;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchPartitionData;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.FetchResponse;
import io.logbus.proto.InitProducerIdRequest;
import io.logbus.proto.InitProducerIdResponse;
import io.logbus.proto.LeaderHint;
import io.logbus.proto.ListOffsetsPartition;
import io.logbus.proto.ListOffsetsRequest;
import io.logbus.proto.ListOffsetsResponse;
import io.logbus.proto.ListOffsetsResult;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.MetadataResponse;
import io.logbus.proto.PartitionMetadata;
import io.logbus.proto.PartitionProduceResult;
import io.logbus.proto.PartitionRecords;
import io.logbus.proto.ProduceRequest;
import io.logbus.proto.ProduceResponse;
import io.logbus.proto.TopicMetadata;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/** BrokerService of one {@link FakeCluster} broker. */
final class FakeBrokerService extends BrokerServiceGrpc.BrokerServiceImplBase {
  private final FakeCluster cluster;
  private final int id;

  FakeBrokerService(FakeCluster cluster, int id) {
    this.cluster = cluster;
    this.id = id;
  }

  private FakePartition lookup(String topic, int partition) {
    List<FakePartition> parts = cluster.topics.get(topic);
    return parts == null || partition < 0 || partition >= parts.size()
        ? null
        : parts.get(partition);
  }

  private ErrorCode check(String topic, int partition, FakePartition p) {
    if (cluster.topics.get(topic) == null) {
      return ErrorCode.UNKNOWN_TOPIC;
    }
    if (p == null) {
      return ErrorCode.UNKNOWN_PARTITION;
    }
    return p.leader == id ? ErrorCode.NONE : ErrorCode.NOT_LEADER;
  }

  @Override
  public void produce(ProduceRequest request, StreamObserver<ProduceResponse> out) {
    out.onNext(answer(request));
    out.onCompleted();
  }

  /** Requests of one stream are answered in arrival order, as the real broker does. */
  @Override
  public StreamObserver<ProduceRequest> produceStream(StreamObserver<ProduceResponse> responses) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ProduceRequest request) {
        ProduceResponse r = answer(request);
        synchronized (this) {
          responses.onNext(r);
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        responses.onCompleted();
      }
    };
  }

  private ProduceResponse answer(ProduceRequest request) {
    cluster.produceCalls.incrementAndGet();
    ProduceResponse.Builder resp =
        ProduceResponse.newBuilder().setCorrelationId(request.getCorrelationId());
    for (PartitionRecords pr : request.getPartitionsList()) {
      FakePartition p = lookup(pr.getTopic(), pr.getPartition());
      PartitionProduceResult.Builder r =
          PartitionProduceResult.newBuilder()
              .setTopic(pr.getTopic())
              .setPartition(pr.getPartition())
              .setBaseOffset(-1)
              .setLogAppendTimeMs(-1);
      ErrorCode code = check(pr.getTopic(), pr.getPartition(), p);
      Queue<ErrorCode> faults = cluster.produceFaults.get(pr.getTopic() + "-" + pr.getPartition());
      ErrorCode injected = faults == null ? null : faults.poll();
      if (code == ErrorCode.NONE && injected != null) {
        code = injected;
      }
      if (code != ErrorCode.NONE) {
        r.setError(code).setErrorMessage("fake broker " + id + ": " + code);
        if (p != null) {
          r.setLeader(LeaderHint.newBuilder().setLeaderId(p.leader).setLeaderEpoch(p.leaderEpoch));
        }
      } else {
        FakePartition.Appended a = p.append(pr.getRecords().asReadOnlyByteBuffer());
        r.setError(a.error()).setErrorMessage(a.message()).setBaseOffset(a.baseOffset());
        Queue<ErrorCode> after =
            cluster.appendedFaults.get(pr.getTopic() + "-" + pr.getPartition());
        ErrorCode lost = a.error() == ErrorCode.NONE && after != null ? after.poll() : null;
        if (lost != null) {
          r.setError(lost)
              .setErrorMessage("fake broker " + id + ": appended, answering " + lost)
              .setBaseOffset(-1);
        }
        if (a.error() == ErrorCode.OUT_OF_ORDER_SEQUENCE) {
          cluster.outOfOrderAnswers.incrementAndGet();
        }
      }
      resp.addPartitions(r);
    }
    return resp.build();
  }

  @Override
  public void fetch(FetchRequest request, StreamObserver<FetchResponse> out) {
    FetchResponse.Builder resp = FetchResponse.newBuilder();
    try {
      for (FetchPartition fp : request.getPartitionsList()) {
        FakePartition p = lookup(fp.getTopic(), fp.getPartition());
        FetchPartitionData.Builder d =
            FetchPartitionData.newBuilder().setTopic(fp.getTopic()).setPartition(fp.getPartition());
        ErrorCode code = check(fp.getTopic(), fp.getPartition(), p);
        if (code == ErrorCode.NONE
            && (fp.getFetchOffset() < p.logStartOffset() || fp.getFetchOffset() > p.endOffset())) {
          code = ErrorCode.OFFSET_OUT_OF_RANGE;
        }
        if (code != ErrorCode.NONE) {
          d.setError(code).setErrorMessage("fake broker " + id + ": " + code);
        } else {
          long wait = request.getPartitionsCount() == 1 ? request.getMaxWaitMs() : 0;
          d.setRecords(
                  ByteString.copyFrom(p.read(fp.getFetchOffset(), fp.getPartitionMaxBytes(), wait)))
              .setHighWatermark(p.endOffset())
              .setLogStartOffset(p.logStartOffset());
        }
        resp.addPartitions(d);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void metadata(MetadataRequest request, StreamObserver<MetadataResponse> out) {
    MetadataResponse.Builder resp =
        MetadataResponse.newBuilder().setClusterId("fake").setControllerId(1);
    for (FakeCluster.FakeBrokerNode n : cluster.nodes) {
      if (n.running()) {
        resp.addBrokers(BrokerInfo.newBuilder().setId(n.id).setHost("127.0.0.1").setPort(n.port));
      }
    }
    for (Map.Entry<String, List<FakePartition>> t : cluster.topics.entrySet()) {
      TopicMetadata.Builder tm = TopicMetadata.newBuilder().setName(t.getKey());
      for (int i = 0; i < t.getValue().size(); i++) {
        FakePartition p = t.getValue().get(i);
        tm.addPartitions(
            PartitionMetadata.newBuilder()
                .setPartition(i)
                .setLeader(p.leader)
                .setLeaderEpoch(p.leaderEpoch)
                .addAllReplicas(p.replicas)
                .addAllIsr(p.replicas));
      }
      resp.addTopics(tm);
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> out) {
    ListOffsetsResponse.Builder resp = ListOffsetsResponse.newBuilder();
    for (ListOffsetsPartition lp : request.getPartitionsList()) {
      FakePartition p = lookup(lp.getTopic(), lp.getPartition());
      ListOffsetsResult.Builder r =
          ListOffsetsResult.newBuilder().setTopic(lp.getTopic()).setPartition(lp.getPartition());
      ErrorCode code = check(lp.getTopic(), lp.getPartition(), p);
      if (code != ErrorCode.NONE) {
        r.setError(code);
      } else {
        long offset = lp.getTimestamp() == -2 ? p.logStartOffset() : p.endOffset();
        r.setOffset(offset).setLogStartOffset(p.logStartOffset()).setLogEndOffset(p.endOffset());
      }
      resp.addPartitions(r);
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void initProducerId(
      InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> out) {
    out.onNext(
        InitProducerIdResponse.newBuilder()
            .setProducerId(cluster.nextProducerId.getAndIncrement())
            .setProducerEpoch(0)
            .build());
    out.onCompleted();
  }
}
