package io.logbus.metadata;

/**
 * The local metadata store (RocksDB state or a snapshot) is unreadable or a write failed; the
 * node's copy of the metadata cannot be trusted and the state machine stops.
 */
public class MetadataStorageException extends MetadataException {
  public MetadataStorageException(String message) {
    super(message);
  }

  public MetadataStorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
