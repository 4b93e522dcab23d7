package io.logbus.metadata;

/** Base of the metadata-quorum module's exceptions. */
public class MetadataException extends RuntimeException {
  public MetadataException(String message) {
    super(message);
  }

  public MetadataException(String message, Throwable cause) {
    super(message, cause);
  }
}
