package io.logbus.torture;

/** A record as found in a partition: its offset and its value as text (null for a tombstone). */
record StoredRecord(long offset, String value) {}
