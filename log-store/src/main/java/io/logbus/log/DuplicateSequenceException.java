package io.logbus.log;

/**
 * An idempotent producer resent a batch of its current epoch that the log already holds but no
 * longer remembers (older than the last {@value ProducerStateManager#MAX_BATCHES} batches), so its
 * original offset is unknown. Sequences are accepted only in order, so a batch at or below the last
 * accepted sequence was written: the producer must treat it as stored (Kafka's
 * DUPLICATE_SEQUENCE_NUMBER), never resend it under a new identity.
 */
public class DuplicateSequenceException extends LogException {
  private static final long serialVersionUID = 1L;

  public DuplicateSequenceException(String message) {
    super(message);
  }
}
