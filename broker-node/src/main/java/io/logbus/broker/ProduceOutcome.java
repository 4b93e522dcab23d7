package io.logbus.broker;

/** A successful append as answered to a producer. */
public record ProduceOutcome(long baseOffset, long logAppendTimeMs, long logStartOffset) {}
