package io.logbus.log;

/** The first record whose timestamp is at or after a searched time: its timestamp and offset. */
public record TimestampOffset(long timestamp, long offset) {}
