package io.logbus.client;

/**
 * The outcome of a reset for one partition.
 *
 * @param previousOffset -1 when nothing was committed before
 */
public record OffsetResetResult(TopicPartition partition, long previousOffset, long newOffset) {}
