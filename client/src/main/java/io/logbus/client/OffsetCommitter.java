package io.logbus.client;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.OffsetCommitPartition;
import io.logbus.proto.OffsetCommitPartitionResult;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitResponse;
import io.logbus.proto.OffsetCommitTopic;
import io.logbus.proto.OffsetCommitTopicResult;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.proto.TopicPartitions;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits and fetches a consumer's offsets at its group's coordinator. Every commit, synchronous or
 * not, runs on one sender thread in call order, so a late asynchronous commit can never overwrite a
 * newer one (which would re-deliver records after a rebalance). A commit carries the member id and
 * epoch current when it is sent; a member outside the group (manual assignment) commits with id ""
 * and epoch -1, which the coordinator allows only while the group has no members.
 *
 * <p>Retries: retriable errors (coordinator moved or loading, replicas catching up) until the
 * commit's deadline. STALE_MEMBER_EPOCH is retried once the member's epoch has moved on (a
 * heartbeat answer crossed the commit); otherwise it, FENCED_MEMBER_EPOCH and UNKNOWN_MEMBER_ID
 * fail the commit. Completions of asynchronous commits are queued and their callbacks run on the
 * application thread by {@link #runCallbacks}. Thread-safe.
 */
final class OffsetCommitter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OffsetCommitter.class);

  /** Who commits: the member id and epoch now. */
  interface Committer {
    String memberId();

    int memberEpoch();
  }

  private final String groupId;
  private final CoordinatorClient coordinators;
  private final Committer committer;
  private final long retryBackoffMs;
  private final Clock clock;
  private final String prefix;
  private final ExecutorService sender;
  private final ConcurrentLinkedQueue<Runnable> callbacks = new ConcurrentLinkedQueue<>();

  OffsetCommitter(
      String clientId,
      String groupId,
      CoordinatorClient coordinators,
      Committer committer,
      long retryBackoffMs,
      Clock clock) {
    this.groupId = groupId;
    this.coordinators = coordinators;
    this.committer = committer;
    this.retryBackoffMs = retryBackoffMs;
    this.clock = clock;
    this.prefix = "[consumer " + clientId + " group " + groupId + "]";
    this.sender =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "logbus-commit-" + clientId);
              t.setDaemon(true);
              return t;
            });
  }

  /** Queues a commit behind every earlier one; the future fails with the typed error. */
  CompletableFuture<Void> commit(Map<TopicPartition, Long> offsets, long deadlineMs) {
    Map<TopicPartition, Long> copy = new TreeMap<>(offsets);
    copy.forEach(
        (tp, offset) -> {
          if (offset < 0) {
            throw new IllegalArgumentException("commit offset " + offset + " for " + tp + " < 0");
          }
        });
    if (copy.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.runAsync(() -> send(copy, deadlineMs), sender);
  }

  /** Commits and waits; rethrows the typed error. */
  void commitSync(Map<TopicPartition, Long> offsets, long deadlineMs) {
    try {
      commit(offsets, deadlineMs)
          .get(Math.max(1, deadlineMs - clock.millis()), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new ClientTimeoutException("commit of " + offsets.keySet() + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LogbusException("interrupted while committing", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw Futures.unwrap(e.getCause());
    }
  }

  /** Commits in the background; the callback runs later on the thread calling runCallbacks. */
  void commitAsync(Map<TopicPartition, Long> offsets, long deadlineMs, OffsetCommitCallback cb) {
    Map<TopicPartition, Long> copy = Map.copyOf(offsets);
    commit(copy, deadlineMs)
        .whenComplete(
            (ok, failure) -> {
              Exception error = failure == null ? null : Futures.unwrap(failure);
              if (error != null) {
                log.warn("{} async commit of {} failed: {}", prefix, copy, error.getMessage());
              }
              if (cb != null) {
                callbacks.add(() -> cb.onComplete(copy, error));
              }
            });
  }

  /** Runs the callbacks of finished asynchronous commits; on the application thread. */
  void runCallbacks() {
    Runnable r;
    while ((r = callbacks.poll()) != null) {
      r.run();
    }
  }

  private void send(Map<TopicPartition, Long> offsets, long deadlineMs) {
    while (true) {
      String memberId = committer.memberId();
      int epoch = committer.memberEpoch();
      OffsetCommitRequest request = request(offsets, memberId, epoch);
      try {
        OffsetCommitResponse r =
            coordinators.call(
                groupId,
                "offset commit",
                deadlineMs,
                stub -> stub.offsetCommit(request),
                OffsetCommitResponse::getError,
                OffsetCommitResponse::getErrorMessage);
        checkPartitions(r);
        log.debug("{} committed {} at epoch {}", prefix, offsets, epoch);
        return;
      } catch (ApiException e) {
        if (e.code() != ErrorCode.STALE_MEMBER_EPOCH || !epochMovedOn(epoch, deadlineMs)) {
          throw e;
        }
      }
    }
  }

  /** Waits a back-off for a heartbeat to bring a newer epoch; true if one came. */
  private boolean epochMovedOn(int staleEpoch, long deadlineMs) {
    if (committer.memberEpoch() != staleEpoch) {
      return committer.memberEpoch() > 0;
    }
    if (clock.millis() + retryBackoffMs >= deadlineMs) {
      return false;
    }
    Futures.sleep(retryBackoffMs);
    return committer.memberEpoch() != staleEpoch && committer.memberEpoch() > 0;
  }

  private OffsetCommitRequest request(
      Map<TopicPartition, Long> offsets, String memberId, int epoch) {
    Map<String, OffsetCommitTopic.Builder> byTopic = new TreeMap<>();
    offsets.forEach(
        (tp, offset) ->
            byTopic
                .computeIfAbsent(tp.topic(), t -> OffsetCommitTopic.newBuilder().setTopic(t))
                .addPartitions(
                    OffsetCommitPartition.newBuilder()
                        .setPartition(tp.partition())
                        .setCommittedOffset(offset)
                        .setCommittedLeaderEpoch(-1)));
    OffsetCommitRequest.Builder b =
        OffsetCommitRequest.newBuilder()
            .setGroupId(groupId)
            .setMemberId(memberId)
            .setMemberEpoch(memberId.isEmpty() ? -1 : epoch);
    byTopic.values().forEach(b::addTopics);
    return b.build();
  }

  private static void checkPartitions(OffsetCommitResponse r) {
    for (OffsetCommitTopicResult t : r.getTopicsList()) {
      for (OffsetCommitPartitionResult p : t.getPartitionsList()) {
        if (p.getError() != ErrorCode.NONE) {
          throw ApiException.of(
              p.getError(), p.getErrorMessage(), t.getTopic() + "-" + p.getPartition());
        }
      }
    }
  }

  /** Committed offsets of the partitions; a partition without one is absent. */
  Map<TopicPartition, Long> committed(Set<TopicPartition> partitions, long deadlineMs) {
    if (partitions.isEmpty()) {
      return Map.of();
    }
    Map<String, TopicPartitions.Builder> byTopic = new TreeMap<>();
    for (TopicPartition tp : partitions) {
      byTopic
          .computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t))
          .addPartitions(tp.partition());
    }
    OffsetFetchRequest.Builder b = OffsetFetchRequest.newBuilder().setGroupId(groupId);
    byTopic.values().forEach(b::addTopics);
    OffsetFetchRequest request = b.build();
    return GroupAdmin.committed(
        coordinators.call(
            groupId,
            "offset fetch",
            deadlineMs,
            stub -> stub.offsetFetch(request),
            OffsetFetchResponse::getError,
            OffsetFetchResponse::getErrorMessage));
  }

  /** Lets queued commits finish until the deadline, then stops the sender thread. */
  void close(long deadlineMs) {
    sender.shutdown();
    try {
      if (!sender.awaitTermination(
          Math.max(0, deadlineMs - clock.millis()), TimeUnit.MILLISECONDS)) {
        sender.shutdownNow();
      }
    } catch (InterruptedException e) {
      sender.shutdownNow();
      Thread.currentThread().interrupt();
    }
    runCallbacks();
  }

  @Override
  public void close() {
    close(clock.millis());
  }
}
