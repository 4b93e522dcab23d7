package io.logbus.group;

/**
 * A committed offset as stored in __consumer_offsets (see {@link OffsetsTopicFormat}).
 *
 * @param offset the next offset the group will consume
 * @param leaderEpoch the leader epoch of the last consumed record, -1 if unknown
 * @param metadata free text from the client, never null
 * @param commitTimestampMs coordinator clock at commit; offsets retention counts from here
 */
public record OffsetAndMetadata(
    long offset, int leaderEpoch, String metadata, long commitTimestampMs) {

  public OffsetAndMetadata {
    if (offset < 0) {
      throw new IllegalArgumentException("committed offset must be >= 0, got " + offset);
    }
    if (metadata == null) {
      metadata = "";
    }
  }
}
