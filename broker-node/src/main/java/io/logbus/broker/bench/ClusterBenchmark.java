package io.logbus.broker.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.logbus.broker.BrokerConfig;
import io.logbus.broker.LogbusNode;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchPartitionData;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.FetchResponse;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.PartitionMetadata;
import io.logbus.proto.PartitionProduceResult;
import io.logbus.proto.PartitionRecords;
import io.logbus.proto.ProduceRequest;
import io.logbus.proto.ProduceResponse;
import io.logbus.proto.TopicSpec;
import io.logbus.record.CompressionType;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchBuilder;
import io.logbus.record.RecordBatches;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Recorder;

/**
 * Benchmark, not a test: a 3-node cluster on loopback in this JVM, one topic per acks mode (RF=3, 6
 * partitions, min.insync.replicas=2, flush=group), 1 KiB records in batches of 16, one
 * ProduceStream per partition leader with a bounded window, and a FetchStream consumer per
 * partition. Reports records/s, MB/s, produce latency (per batch, send to answer) p50/p99/p99.9 and
 * end-to-end latency (send to consumer receipt) p50/p99.
 *
 * <p>{@code ClusterBenchmark [warmupSeconds] [measureSeconds]}; defaults 10 and 15.
 */
public final class ClusterBenchmark {
  private static final int PARTITIONS = 6;
  private static final int RECORD_BYTES = 1024;
  private static final int BATCH_RECORDS = 16;
  private static final int WINDOW_PER_PARTITION = 8;

  private ClusterBenchmark() {}

  public static void main(String[] args) throws Exception {
    int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int measure = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    Path dir = Files.createTempDirectory("logbus-bench");
    Map<Integer, String> voters = new HashMap<>();
    for (int id = 1; id <= 3; id++) {
      voters.put(id, "127.0.0.1:" + freePort());
    }
    List<LogbusNode> nodes = new ArrayList<>();
    Map<Integer, ManagedChannel> channels = new HashMap<>();
    try {
      for (int id = 1; id <= 3; id++) {
        nodes.add(LogbusNode.start(BrokerConfig.of(id, dir.resolve("node-" + id), voters)));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!nodes.stream().allMatch(LogbusNode::ready)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cluster not ready in 120 s");
        }
        Thread.sleep(100); // a benchmark main polling for readiness, not a test
      }
      for (LogbusNode node : nodes) {
        channels.put(
            node.id(),
            NettyChannelBuilder.forAddress("127.0.0.1", node.port())
                .usePlaintext()
                .directExecutor()
                .maxInboundMessageSize(64 << 20)
                .build());
      }
      System.out.printf(
          "logbus cluster benchmark: 3 nodes, RF=3, %d partitions, %d B records, batches of %d,"
              + " window %d batches/partition, warm-up %d s, measured %d s, %d cores%n",
          PARTITIONS,
          RECORD_BYTES,
          BATCH_RECORDS,
          WINDOW_PER_PARTITION,
          warmup,
          measure,
          Runtime.getRuntime().availableProcessors());
      for (int acks : new int[] {-1, 1}) {
        run(channels, "bench-acks" + (acks == -1 ? "all" : "1"), acks, warmup, measure);
      }
    } finally {
      channels.values().forEach(ManagedChannel::shutdownNow);
      for (LogbusNode node : nodes) {
        node.close();
      }
    }
  }

  private static void run(
      Map<Integer, ManagedChannel> channels, String topic, int acks, int warmup, int measure)
      throws Exception {
    AdminServiceGrpc.newBlockingStub(channels.get(1))
        .createTopics(
            CreateTopicsRequest.newBuilder()
                .addTopics(
                    TopicSpec.newBuilder()
                        .setName(topic)
                        .setPartitions(PARTITIONS)
                        .setReplicationFactor(3)
                        .putConfigs("min.insync.replicas", "2"))
                .build());
    Map<Integer, Integer> leaders = new ConcurrentHashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (leaders.size() < PARTITIONS) {
      leaders.clear();
      for (PartitionMetadata p :
          BrokerServiceGrpc.newBlockingStub(channels.get(1))
              .metadata(MetadataRequest.newBuilder().addTopics(topic).build())
              .getTopics(0)
              .getPartitionsList()) {
        if (p.getLeader() > 0 && p.getIsrCount() == 3) {
          leaders.put(p.getPartition(), p.getLeader());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("partitions not led in 60 s");
      }
      Thread.sleep(100); // polling metadata in a benchmark main
    }

    Recorder produceLatency = new Recorder(3);
    Recorder endToEnd = new Recorder(3);
    AtomicLong records = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    List<ClientCallStreamObserver<FetchRequest>> consumers = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      consumers.add(consume(channels.get(leaders.get(p)), topic, p, endToEnd));
    }
    List<Thread> producers = new ArrayList<>();
    long stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup + measure);
    for (int p = 0; p < PARTITIONS; p++) {
      int partition = p;
      Thread t =
          new Thread(
              () ->
                  produce(
                      channels.get(leaders.get(partition)),
                      topic,
                      partition,
                      acks,
                      stopAt,
                      produceLatency,
                      records,
                      errors),
              "bench-producer-" + p);
      t.start();
      producers.add(t);
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
    produceLatency.reset();
    endToEnd.reset();
    long startRecords = records.get();
    long start = System.nanoTime();
    Thread.sleep(TimeUnit.SECONDS.toMillis(measure));
    long elapsed = System.nanoTime() - start;
    long measured = records.get() - startRecords;
    var produce = produceLatency.getIntervalHistogram();
    var e2e = endToEnd.getIntervalHistogram();
    for (Thread t : producers) {
      t.join(30_000);
    }
    for (ClientCallStreamObserver<FetchRequest> c : consumers) {
      c.cancel("benchmark done", null);
    }
    double seconds = elapsed / 1e9;
    System.out.printf(
        "acks=%-3s %,10.0f records/s %8.1f MB/s | produce p50 %6.2f ms p99 %6.2f ms p99.9 %6.2f ms"
            + " | end-to-end p50 %6.2f ms p99 %6.2f ms | errors %d%n",
        acks == -1 ? "all" : "1",
        measured / seconds,
        measured * (double) RECORD_BYTES / seconds / 1e6,
        produce.getValueAtPercentile(50) / 1e6,
        produce.getValueAtPercentile(99) / 1e6,
        produce.getValueAtPercentile(99.9) / 1e6,
        e2e.getValueAtPercentile(50) / 1e6,
        e2e.getValueAtPercentile(99) / 1e6,
        errors.get());
  }

  private static void produce(
      ManagedChannel channel,
      String topic,
      int partition,
      int acks,
      long stopAt,
      Recorder latency,
      AtomicLong records,
      AtomicLong errors) {
    Semaphore window = new Semaphore(WINDOW_PER_PARTITION);
    Map<Long, Long> sentAt = new ConcurrentHashMap<>();
    StreamObserver<ProduceRequest> requests =
        BrokerServiceGrpc.newStub(channel)
            .produceStream(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ProduceResponse response) {
                    Long sent = sentAt.remove(response.getCorrelationId());
                    PartitionProduceResult r = response.getPartitions(0);
                    if (r.getError() == ErrorCode.NONE && sent != null) {
                      latency.recordValue(System.nanoTime() - sent);
                      records.addAndGet(BATCH_RECORDS);
                    } else if (errors.incrementAndGet() == 1) {
                      System.err.println(
                          "first produce error: " + r.getError() + " " + r.getErrorMessage());
                    }
                    window.release();
                  }

                  @Override
                  public void onError(Throwable t) {
                    errors.incrementAndGet();
                    window.release(WINDOW_PER_PARTITION);
                  }

                  @Override
                  public void onCompleted() {}
                });
    byte[] value = new byte[RECORD_BYTES];
    long correlation = 0;
    try {
      while (System.nanoTime() < stopAt) {
        window.acquire();
        long now = System.nanoTime();
        RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0);
        ByteBuffer.wrap(value).putLong(0, now);
        for (int i = 0; i < BATCH_RECORDS; i++) {
          builder.append(System.currentTimeMillis(), null, value, List.of());
        }
        ByteBuffer batch = builder.build();
        sentAt.put(++correlation, now);
        synchronized (requests) {
          requests.onNext(
              ProduceRequest.newBuilder()
                  .setCorrelationId(correlation)
                  .setAcks(acks)
                  .setTimeoutMs(30_000)
                  .addPartitions(
                      PartitionRecords.newBuilder()
                          .setTopic(topic)
                          .setPartition(partition)
                          .setRecords(ByteString.copyFrom(batch)))
                  .build());
        }
      }
      window.acquire(WINDOW_PER_PARTITION);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      requests.onCompleted();
    }
  }

  private static ClientCallStreamObserver<FetchRequest> consume(
      ManagedChannel channel, String topic, int partition, Recorder endToEnd) {
    AtomicReference<ClientCallStreamObserver<FetchRequest>> call = new AtomicReference<>();
    ClientResponseObserver<FetchRequest, FetchResponse> observer =
        new ClientResponseObserver<>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<FetchRequest> requestStream) {
            call.set(requestStream);
          }

          @Override
          public void onNext(FetchResponse response) {
            long now = System.nanoTime();
            for (FetchPartitionData data : response.getPartitionsList()) {
              for (RecordBatch batch :
                  RecordBatches.parse(data.getRecords().asReadOnlyByteBuffer())) {
                // One sample per batch: every record of a batch carries the same send time.
                for (Record record : batch.records()) {
                  endToEnd.recordValue(
                      Math.max(0, now - ByteBuffer.wrap(record.value()).getLong(0)));
                  break;
                }
              }
            }
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        };
    BrokerServiceGrpc.newStub(channel)
        .fetchStream(
            FetchRequest.newBuilder()
                .setMaxBytes(4 << 20)
                .addPartitions(
                    FetchPartition.newBuilder()
                        .setTopic(topic)
                        .setPartition(partition)
                        .setFetchOffset(0)
                        .setCurrentLeaderEpoch(-1))
                .build(),
            observer);
    return call.get();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
