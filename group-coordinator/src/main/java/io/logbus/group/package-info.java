/**
 * Consumer groups without the network: membership with server-side assignment (the model of Kafka's
 * KIP-848), committed offsets, and their records in the compacted topic {@code __consumer_offsets}.
 *
 * <p>How broker-node wires it (one {@link io.logbus.group.GroupCoordinator} per broker):
 *
 * <ol>
 *   <li>Create it with a {@link io.logbus.group.GroupConfig} (offsets.topic.num.partitions = N of
 *       {@code __consumer_offsets}, created on first use with cleanup.policy=compact), an {@link
 *       io.logbus.group.OffsetsLog} over the replica manager (append = produce with acks=all as
 *       leader; read = up to the log end offset, see {@link io.logbus.group.OffsetsLog#read}), a
 *       {@link io.logbus.group.PartitionOffsets} (log start, high watermark, offset for timestamp
 *       of data partitions, for ResetOffsets) and the node's Clock.
 *   <li>Call {@code onTopicMetadata(topic -> partition count)} at start and on every topic change
 *       (CreateTopic, DeleteTopic, CreatePartitions), before loading partitions.
 *   <li>On becoming leader of {@code __consumer_offsets-p}: {@code loadPartition(p)}; on losing it:
 *       {@code unloadPartition(p)}. Fail appends after losing leadership with a {@link
 *       io.logbus.group.GroupException} of NOT_COORDINATOR: that code reaches the client as is.
 *   <li>Call {@code tick()} about once a second (session and revocation timeouts, offsets expiry).
 *   <li>GroupService handlers: FindCoordinator = {@code findCoordinator(request, partition ->
 *       leader BrokerInfo or null)}; every other call maps 1:1 to a method returning a future of
 *       the response, which never fails: errors are in its typed ErrorCode fields. Set {@code
 *       client_host} of ConsumerGroupHeartbeat from the peer address; fill {@code log_end_offset}
 *       and {@code lag} of DescribeGroup rows.
 * </ol>
 *
 * <p>Layouts: {@link io.logbus.group.OffsetsTopicFormat} (keys and values), {@link
 * io.logbus.group.OffsetsBatches} (RecordBatch v2 framing).
 */
package io.logbus.group;
