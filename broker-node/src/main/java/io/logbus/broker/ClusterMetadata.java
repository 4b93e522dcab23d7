package io.logbus.broker;

import io.logbus.proto.MetadataRequest;
import io.logbus.proto.MetadataResponse;

/**
 * What the client-facing services need to know about the cluster beyond the local replicas: the
 * committed state of a partition (for leader hints) and the Metadata answer. In a node it reads the
 * quorum's latest {@code MetadataImage}. Any thread.
 */
public interface ClusterMetadata {
  /** The committed state of a partition, or null when the topic or partition does not exist. */
  PartitionAssignment assignment(String topic, int partition);

  boolean topicExists(String topic);

  MetadataResponse metadata(MetadataRequest request);
}
