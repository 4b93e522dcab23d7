package io.logbus.client;

import java.util.List;

/** What DescribeCluster says: quorum leader and voters, brokers, partition health counts. */
public record ClusterDescription(
    String clusterId,
    int quorumLeader,
    List<Integer> voters,
    List<Broker> brokers,
    int underReplicatedPartitions,
    int offlinePartitions) {

  /** A registered broker; {@code fenced} when its session expired or it shut down. */
  public record Broker(int id, String host, int port, boolean fenced) {}
}
