package io.logbus.metadata;

import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.CreateTopicsResponse;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.DeleteTopicsResponse;
import io.logbus.proto.TopicSpec;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Small blocking helpers for tests. */
final class Requests {
  static final long TIMEOUT_S = 30;

  private Requests() {}

  static CreateTopicsRequest create(String name, int partitions, int rf) {
    return create(name, partitions, rf, Map.of());
  }

  static CreateTopicsRequest create(String name, int partitions, int rf, Map<String, String> cfg) {
    return CreateTopicsRequest.newBuilder()
        .addTopics(
            TopicSpec.newBuilder()
                .setName(name)
                .setPartitions(partitions)
                .setReplicationFactor(rf)
                .putAllConfigs(cfg))
        .build();
  }

  static CreateTopicsResponse createTopic(MetadataQuorum q, String name, int partitions, int rf)
      throws Exception {
    return q.controller()
        .createTopics(create(name, partitions, rf))
        .get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  static DeleteTopicsResponse deleteTopic(MetadataQuorum q, String name) throws Exception {
    return q.controller()
        .deleteTopics(DeleteTopicsRequest.newBuilder().addNames(name).build())
        .get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  /** Registers brokers 1..n; returns their epochs by id. */
  static long[] registerBrokers(MetadataQuorum q, int n) throws Exception {
    long[] epochs = new long[n + 1];
    for (int b = 1; b <= n; b++) {
      epochs[b] =
          q.controller()
              .registerBroker(b, "127.0.0.1", 9000 + b, "incarnation-" + b)
              .get(TIMEOUT_S, TimeUnit.SECONDS);
    }
    return epochs;
  }
}
