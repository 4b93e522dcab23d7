package io.logbus.client;

/**
 * One row of a group description (a line of {@code logbus groups describe}).
 *
 * @param committedOffset -1 when the group committed nothing for the partition
 * @param logEndOffset the partition's high watermark; -1 when its leader could not be asked
 * @param lag logEndOffset - committedOffset; -1 when either is unknown
 * @param memberId the owner, "" when no member owns the partition
 */
public record GroupPartitionLag(
    TopicPartition partition,
    long committedOffset,
    long logEndOffset,
    long lag,
    String memberId,
    String clientId,
    String host) {}
