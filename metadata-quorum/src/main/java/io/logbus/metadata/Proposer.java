package io.logbus.metadata;

import io.logbus.proto.metadata.MetadataBatch;
import java.util.concurrent.CompletableFuture;

/** Appends a batch to the metadata log from the leader. */
interface Proposer {
  /**
   * Appends {@code batch} to the local log before returning (so calls are logged in call order) and
   * completes after the entry is committed and applied here, or fails if leadership was lost first.
   */
  CompletableFuture<Void> propose(MetadataBatch batch);
}
