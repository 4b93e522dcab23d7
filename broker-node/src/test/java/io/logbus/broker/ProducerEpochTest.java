package io.logbus.broker;

import static io.logbus.broker.TestRecords.idempotentBatch;
import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.InitProducerIdRequest;
import io.logbus.proto.InitProducerIdResponse;
import io.logbus.proto.PartitionProduceResult;
import io.logbus.proto.ProducerIdAndEpoch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KIP-360 epoch bumps over real gRPC (RF=2): a producer re-initialising with its id and epoch gets
 * the next epoch, and batches at the older epoch are refused from then on, by the leader and by the
 * next leader after a failover (the producer state travels with the replicated batches).
 */
class ProducerEpochTest {
  private static final String TOPIC = "fenced";
  private static final PartitionKey KEY = new PartitionKey(TOPIC, 0);

  @TempDir Path dir;
  private TestCluster cluster;

  @BeforeEach
  void start() {
    cluster = new TestCluster(dir, 10_000, Map.of());
    cluster.start(1);
    cluster.start(2);
    cluster.createPartition(TOPIC, 0, List.of(1, 2));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private InitProducerIdResponse init(int broker, InitProducerIdRequest request) {
    return cluster.blocking(broker).withDeadlineAfter(20, TimeUnit.SECONDS).initProducerId(request);
  }

  private InitProducerIdResponse reInit(int broker, long producerId, int epoch) {
    return init(
        broker,
        InitProducerIdRequest.newBuilder()
            .setCurrent(
                ProducerIdAndEpoch.newBuilder().setProducerId(producerId).setProducerEpoch(epoch))
            .build());
  }

  private ErrorCode send(int broker, ByteBuffer batch) {
    PartitionProduceResult r =
        cluster
            .blocking(broker)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .produce(produce(TOPIC, 0, -1, batch))
            .getPartitions(0);
    return r.getError();
  }

  @Test
  void reInitBumpsTheEpochAndTheOldEpochIsFencedAlsoAfterFailover() {
    InitProducerIdResponse first = init(1, InitProducerIdRequest.getDefaultInstance());
    long id = first.getProducerId();
    assertThat(first.getProducerEpoch()).isZero();
    assertThat(send(1, idempotentBatch(id, (short) 0, 0, "e0-s0"))).isEqualTo(ErrorCode.NONE);

    InitProducerIdResponse bumped = reInit(2, id, 0);
    assertThat(bumped.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(bumped.getProducerId()).isEqualTo(id);
    assertThat(bumped.getProducerEpoch()).isEqualTo(1);

    assertThat(send(1, idempotentBatch(id, (short) 1, 0, "e1-s0"))).isEqualTo(ErrorCode.NONE);
    assertThat(send(1, idempotentBatch(id, (short) 0, 1, "zombie")))
        .isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);

    cluster.kill(1);
    cluster.elect(KEY, 2, List.of(2));
    assertThat(send(2, idempotentBatch(id, (short) 0, 1, "zombie")))
        .isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);
    assertThat(send(2, idempotentBatch(id, (short) 1, 1, "e1-s1"))).isEqualTo(ErrorCode.NONE);
    var log = cluster.broker(2).replicaManager().hosted(TOPIC, 0).log();
    assertThat(TestRecords.logValues(log, log.logEndOffset()))
        .containsExactly("e0-s0", "e1-s0", "e1-s1");
  }

  @Test
  void reInitFromAnOlderEpochThanHandedOutIsFenced() {
    long id = init(1, InitProducerIdRequest.getDefaultInstance()).getProducerId();
    assertThat(reInit(1, id, 0).getProducerEpoch()).isEqualTo(1);
    assertThat(reInit(1, id, 1).getProducerEpoch()).isEqualTo(2);

    InitProducerIdResponse stale = reInit(1, id, 1);
    assertThat(stale.getError()).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);
    assertThat(stale.getProducerId()).isEqualTo(-1);
  }

  @Test
  void exhaustedEpochGetsANewProducerId() {
    long id = init(1, InitProducerIdRequest.getDefaultInstance()).getProducerId();
    InitProducerIdResponse fresh = reInit(1, id, Short.MAX_VALUE);
    assertThat(fresh.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(fresh.getProducerId()).isNotEqualTo(id);
    assertThat(fresh.getProducerEpoch()).isZero();
  }

  @Test
  void impossibleIdsAndEpochsAreInvalidRequests() {
    assertThat(reInit(1, -1, 0).getError()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(reInit(1, 5, -1).getError()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(reInit(1, 5, Short.MAX_VALUE + 1).getError()).isEqualTo(ErrorCode.INVALID_REQUEST);
  }
}
