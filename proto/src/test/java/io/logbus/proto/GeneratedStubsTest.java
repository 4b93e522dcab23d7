package io.logbus.proto;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The generated messages and stubs round-trip through a real (in-process) gRPC server. */
class GeneratedStubsTest {
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void generatedStubReachesServerAndCarriesTypedErrors() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new BrokerServiceGrpc.BrokerServiceImplBase() {
                  @Override
                  public void produce(
                      ProduceRequest request, StreamObserver<ProduceResponse> responses) {
                    ProduceResponse.Builder answer =
                        ProduceResponse.newBuilder().setCorrelationId(request.getCorrelationId());
                    for (PartitionRecords p : request.getPartitionsList()) {
                      answer.addPartitions(
                          PartitionProduceResult.newBuilder()
                              .setTopic(p.getTopic())
                              .setPartition(p.getPartition())
                              .setError(ErrorCode.UNKNOWN_TOPIC)
                              .setBaseOffset(-1));
                    }
                    responses.onNext(answer.build());
                    responses.onCompleted();
                  }
                })
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();

    ProduceResponse response =
        BrokerServiceGrpc.newBlockingStub(channel)
            .produce(
                ProduceRequest.newBuilder()
                    .setCorrelationId(7)
                    .setAcks(-1)
                    .addPartitions(PartitionRecords.newBuilder().setTopic("orders").setPartition(3))
                    .build());

    assertThat(response.getCorrelationId()).isEqualTo(7);
    assertThat(response.getPartitions(0).getTopic()).isEqualTo("orders");
    assertThat(response.getPartitions(0).getPartition()).isEqualTo(3);
    assertThat(response.getPartitions(0).getError()).isEqualTo(ErrorCode.UNKNOWN_TOPIC);
  }
}
