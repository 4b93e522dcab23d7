package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.proto.metadata.CreateTopic;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.PartitionAssignment;
import io.logbus.proto.metadata.StoredTopic;
import io.logbus.proto.metadata.WatchEntry;
import io.logbus.proto.metadata.WatchProgress;
import io.logbus.proto.metadata.WatchResponse;
import io.logbus.proto.metadata.WatchSnapshot;
import io.logbus.proto.metadata.WatchTopic;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The watcher's rules for what it applies: each index once, never backwards, bad input refused. */
class WatcherOrderingTest {
  // Never started: messages are fed to apply() directly, no stream is opened.
  final MetadataWatcher watcher =
      new MetadataWatcher("t", 4, Map.of(1, InetSocketAddress.createUnresolved("127.0.0.1", 1)));

  @AfterEach
  void close() {
    watcher.close();
  }

  static WatchResponse create(long index, String topic) {
    MetadataRecord r =
        MetadataRecord.newBuilder()
            .setCreateTopic(
                CreateTopic.newBuilder()
                    .setName(topic)
                    .setTopicId(UUID.randomUUID().toString())
                    .addPartitions(PartitionAssignment.newBuilder().setPartition(0).addReplicas(1)))
            .build();
    return WatchResponse.newBuilder()
        .setEntry(WatchEntry.newBuilder().setIndex(index).setTerm(1).addRecords(r))
        .build();
  }

  @Test
  void anEntryAtOrBelowTheAppliedIndexIsDropped() {
    watcher.apply(create(5, "a"));
    watcher.apply(create(5, "again"));
    watcher.apply(create(3, "older"));
    assertThat(watcher.image().topics().keySet()).containsExactly("a");
    assertThat(watcher.image().lastAppliedIndex()).isEqualTo(5);
  }

  @Test
  void anOlderSnapshotIsIgnoredAndANewerOneReplacesTheState() {
    watcher.apply(create(5, "a"));
    watcher.apply(snapshot(4, "old"));
    assertThat(watcher.image().topics().keySet()).containsExactly("a");
    watcher.apply(snapshot(10, "b"));
    assertThat(watcher.image().topics().keySet()).containsExactly("b");
    assertThat(watcher.image().lastAppliedIndex()).isEqualTo(10);
  }

  @Test
  void progressMovesTheAppliedIndexWithoutChangingTheState() {
    watcher.apply(create(5, "a"));
    var reached = watcher.awaitApplied(7);
    watcher.apply(
        WatchResponse.newBuilder()
            .setProgress(WatchProgress.newBuilder().setIndex(7).setTerm(2))
            .build());
    assertThat(reached).isCompleted();
    assertThat(watcher.image().lastAppliedIndex()).isEqualTo(7);
    assertThat(watcher.image().topics().keySet()).containsExactly("a");
  }

  @Test
  void aMessageWithoutEventIsRefused() {
    assertThatThrownBy(() -> watcher.apply(WatchResponse.getDefaultInstance()))
        .isInstanceOf(MetadataException.class);
  }

  @Test
  void aSnapshotWhosePartitionsDoNotMatchItsTopicIsRefused() {
    WatchSnapshot bad =
        WatchSnapshot.newBuilder()
            .setIndex(3)
            .addTopics(
                WatchTopic.newBuilder()
                    .setTopic(
                        StoredTopic.newBuilder()
                            .setName("t")
                            .setTopicId(UUID.randomUUID().toString())
                            .setPartitionCount(2)))
            .build();
    assertThatThrownBy(() -> watcher.apply(WatchResponse.newBuilder().setSnapshot(bad).build()))
        .isInstanceOf(MetadataException.class)
        .hasMessageContaining("partitions");
    assertThat(watcher.image().lastAppliedIndex()).isEqualTo(-1);
  }

  @Test
  void anEntryWithAnUnknownRecordCaseIsRefused() {
    WatchResponse unknown =
        WatchResponse.newBuilder()
            .setEntry(
                WatchEntry.newBuilder()
                    .setIndex(2)
                    .setTerm(1)
                    .addRecords(MetadataRecord.getDefaultInstance()))
            .build();
    assertThatThrownBy(() -> watcher.apply(unknown)).isInstanceOf(MetadataException.class);
    assertThat(watcher.image().lastAppliedIndex()).isEqualTo(-1);
  }

  private static WatchResponse snapshot(long index, String topic) {
    MetadataImage image =
        new MetadataImage(
            Map.of(),
            Map.of(
                topic,
                new TopicImage(
                    topic,
                    UUID.randomUUID(),
                    Map.of(),
                    java.util.List.of(
                        new PartitionState(
                            0, 1, 0, 0, java.util.List.of(1), java.util.List.of(1))))),
            0,
            index,
            1,
            -1,
            java.util.List.of());
    return WatchResponse.newBuilder().setSnapshot(WatchFormat.toSnapshot(image)).build();
  }
}
