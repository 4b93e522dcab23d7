package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.metadata.MetadataRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ordered, exactly-once dispatch of committed records to listeners. */
class SubscribeTest {
  @TempDir Path dir;
  QuorumCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Records what a listener saw, as "snapshot@index" and "index:case name" lines. */
  static final class Recorder implements MetadataListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Long> indexes = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();

    @Override
    public void onSnapshot(MetadataImage image) {
      events.add("snapshot@" + image.lastAppliedIndex() + " " + image.topics().keySet());
    }

    @Override
    public void onRecord(long index, MetadataRecord record, MetadataImage imageAfter) {
      indexes.add(index);
      threads.add(Thread.currentThread().getName());
      assertThat(imageAfter.lastAppliedIndex()).isEqualTo(index);
      events.add(
          index
              + ":"
              + record.getRecordCase()
              + (record.hasCreateTopic() ? " " + record.getCreateTopic().getName() : ""));
    }
  }

  @Test
  void subscriberAtCurrentIndexGetsEachLaterRecordOnceInOrderOnOneThread() throws Exception {
    cluster = QuorumCluster.start(dir, 1);
    MetadataQuorum q = cluster.awaitController();
    Requests.registerBrokers(q, 1);
    Recorder r = new Recorder();
    q.subscribe(q.image().lastAppliedIndex(), r);
    for (int i = 0; i < 5; i++) {
      Requests.createTopic(q, "s" + i, 1, 1);
    }
    await().atMost(QuorumCluster.WAIT).until(() -> r.events.size() == 5);
    assertThat(r.events).noneMatch(e -> e.startsWith("snapshot"));
    assertThat(r.events)
        .extracting(e -> e.substring(e.indexOf(' ') + 1))
        .containsExactly("s0", "s1", "s2", "s3", "s4");
    assertThat(r.indexes).isSorted().doesNotHaveDuplicates();
    assertThat(r.threads).containsOnly(r.threads.get(0));
  }

  @Test
  void subscriberBehindRecentRecordsGetsThemReplayedNotASnapshot() throws Exception {
    cluster = QuorumCluster.start(dir, 1);
    MetadataQuorum q = cluster.awaitController();
    Requests.registerBrokers(q, 1);
    long mark = q.image().lastAppliedIndex();
    Requests.createTopic(q, "missed-1", 1, 1);
    Requests.createTopic(q, "missed-2", 1, 1);
    Recorder r = new Recorder();
    q.subscribe(mark, r);
    Requests.createTopic(q, "live", 1, 1);
    await().atMost(QuorumCluster.WAIT).until(() -> r.events.size() == 3);
    assertThat(r.events)
        .extracting(e -> e.substring(e.indexOf(' ') + 1))
        .containsExactly("missed-1", "missed-2", "live");
    assertThat(r.indexes).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void subscriberBehindWhatThisNodeRemembersStartsWithASnapshotThenRecords() throws Exception {
    cluster = QuorumCluster.start(dir, 1);
    MetadataQuorum q = cluster.awaitController();
    Requests.registerBrokers(q, 1);
    Requests.createTopic(q, "old", 1, 1);
    // A restarted node loaded its state from disk: it has no history of how it got there.
    cluster.stop(1);
    MetadataQuorum restarted = cluster.start(1);
    cluster.awaitController();
    Recorder r = new Recorder();
    restarted.subscribe(-1, r);
    Requests.createTopic(restarted, "new", 1, 1);
    await().atMost(QuorumCluster.WAIT).until(() -> r.events.size() == 2);
    assertThat(r.events.get(0)).startsWith("snapshot@").contains("old").doesNotContain("new");
    assertThat(r.events.get(1)).endsWith("CREATE_TOPIC new");
  }

  @Test
  void subscriberAfterARestartResumesAfterItsIndexWithoutRepeats() throws Exception {
    cluster = QuorumCluster.start(dir, 1);
    MetadataQuorum q = cluster.awaitController();
    Requests.registerBrokers(q, 1);
    Requests.createTopic(q, "before", 1, 1);
    long seen = q.image().lastAppliedIndex();
    cluster.stop(1);
    MetadataQuorum restarted = cluster.start(1);
    cluster.awaitController();
    Recorder r = new Recorder();
    await().atMost(QuorumCluster.WAIT).until(() -> restarted.image().lastAppliedIndex() >= seen);
    restarted.subscribe(seen, r);
    Requests.createTopic(restarted, "after", 1, 1);
    await()
        .atMost(QuorumCluster.WAIT)
        .until(() -> r.events.stream().anyMatch(e -> e.endsWith("after")));
    assertThat(r.events).noneMatch(e -> e.contains("before"));
  }
}
