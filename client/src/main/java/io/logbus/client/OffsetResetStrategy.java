package io.logbus.client;

/** What a consumer does without a valid position: auto.offset.reset. */
public enum OffsetResetStrategy {
  EARLIEST,
  LATEST,
  /** Fail with {@link ApiException} OFFSET_OUT_OF_RANGE instead of jumping. */
  NONE
}
