package io.logbus.client;

/** Where {@link LogbusAdmin#resetOffsets} moves a group's committed offsets. */
public sealed interface OffsetResetSpec {
  /** The log start offset of each partition. */
  record ToEarliest() implements OffsetResetSpec {}

  /** The log end offset (high watermark) of each partition. */
  record ToLatest() implements OffsetResetSpec {}

  /** One offset for every partition; the coordinator clamps it to the log's range. */
  record ToOffset(long offset) implements OffsetResetSpec {
    public ToOffset {
      if (offset < 0) {
        throw new IllegalArgumentException("reset offset " + offset + " < 0");
      }
    }
  }

  /** The first offset whose timestamp is >= epochMillis (the log end if none). */
  record ToDatetime(long epochMillis) implements OffsetResetSpec {
    public ToDatetime {
      if (epochMillis < 0) {
        throw new IllegalArgumentException("reset datetime " + epochMillis + " ms < 0");
      }
    }
  }

  /** The committed offset (earliest if none) plus delta, clamped to the log's range. */
  record ShiftBy(long delta) implements OffsetResetSpec {}
}
