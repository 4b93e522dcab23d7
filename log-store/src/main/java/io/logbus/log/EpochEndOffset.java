package io.logbus.log;

/**
 * Answer to {@link PartitionLog#endOffsetForEpoch}: the largest epoch at or below the asked one and
 * the offset where it ended (KIP-101). {@link #UNDEFINED} when the log knows no such epoch.
 */
public record EpochEndOffset(int leaderEpoch, long endOffset) {
  public static final EpochEndOffset UNDEFINED = new EpochEndOffset(-1, -1L);
}
