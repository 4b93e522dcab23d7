package io.logbus.log;

import java.nio.ByteBuffer;

/**
 * Whole batches read from a log. {@link #records()} is a buffer of its own (position 0, limit = the
 * bytes), possibly empty; {@link #firstOffset()} is the base offset of its first batch, or the
 * requested offset when empty. The log end and start offsets are those seen by the read.
 */
public record LogReadInfo(
    ByteBuffer records, long firstOffset, long logStartOffset, long logEndOffset) {}
