package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.proto.metadata.CreateTopic;
import io.logbus.proto.metadata.DeleteTopic;
import io.logbus.proto.metadata.Endpoint;
import io.logbus.proto.metadata.FenceBroker;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.PartitionAssignment;
import io.logbus.proto.metadata.PartitionChange;
import io.logbus.proto.metadata.RegisterBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RocksDB state and its snapshots, without Ratis. */
class ClusterStateTest {
  @TempDir Path dir;
  ClusterState state;

  @AfterEach
  void tearDown() {
    if (state != null) {
      state.close();
    }
  }

  static MetadataRecord register(int id) {
    return MetadataRecord.newBuilder()
        .setRegisterBroker(
            RegisterBroker.newBuilder()
                .setBrokerId(id)
                .addEndpoints(Endpoint.newBuilder().setHost("h" + id).setPort(9000 + id))
                .setIncarnationId("inc" + id)
                .setBrokerEpoch(1))
        .build();
  }

  static MetadataRecord createTopic(String name, UUID id, int partitions) {
    CreateTopic.Builder b = CreateTopic.newBuilder().setName(name).setTopicId(id.toString());
    for (int p = 0; p < partitions; p++) {
      b.addPartitions(
          PartitionAssignment.newBuilder()
              .setPartition(p)
              .addReplicas(1)
              .addReplicas(2)
              .setLeader(1)
              .addIsr(1)
              .addIsr(2));
    }
    return MetadataRecord.newBuilder().setCreateTopic(b).build();
  }

  private void populate() {
    state = ClusterState.open(dir.resolve("db"));
    state.apply(1, 1, List.of(register(1), register(2)));
    state.apply(1, 2, List.of(createTopic("a", UUID.randomUUID(), 3)));
    state.apply(1, 3, List.of(createTopic("a.b", UUID.randomUUID(), 2)));
    UUID gone = UUID.randomUUID();
    state.apply(1, 4, List.of(createTopic("gone", gone, 2)));
    state.apply(
        2,
        5,
        List.of(
            MetadataRecord.newBuilder()
                .setDeleteTopic(
                    DeleteTopic.newBuilder().setName("gone").setTopicId(gone.toString()))
                .build()));
    TopicImage a = state.image().topic("a").orElseThrow();
    state.apply(
        2,
        6,
        List.of(
            MetadataRecord.newBuilder()
                .setFenceBroker(FenceBroker.newBuilder().setBrokerId(2).setBrokerEpoch(1))
                .build(),
            MetadataRecord.newBuilder()
                .setPartitionChange(
                    PartitionChange.newBuilder()
                        .setTopic("a")
                        .setTopicId(a.id().toString())
                        .setPartition(1)
                        .setLeader(1)
                        .setLeaderEpoch(0)
                        .setPartitionEpoch(1)
                        .addIsr(1)
                        .addReplicas(1)
                        .addReplicas(2))
                .build()));
  }

  @Test
  void reopenedStoreHasTheSameImageAndDigest() {
    populate();
    MetadataImage before = state.image();
    byte[] digest = state.contentDigest();
    state.close();
    state = ClusterState.open(dir.resolve("db"));
    MetadataImage after = state.image();
    assertThat(after.lastAppliedIndex()).isEqualTo(6);
    assertThat(after.lastAppliedTerm()).isEqualTo(2);
    assertThat(after.topics()).isEqualTo(before.topics());
    assertThat(after.brokers()).isEqualTo(before.brokers());
    assertThat(after.topics()).doesNotContainKey("gone");
    assertThat(after.topic("a").orElseThrow().partition(1).isr()).containsExactly(1);
    assertThat(after.broker(2).orElseThrow().fenced()).isTrue();
    assertThat(state.contentDigest()).isEqualTo(digest);
  }

  @Test
  void replayingAnAppliedEntryChangesNothing() {
    populate();
    byte[] digest = state.contentDigest();
    MetadataImage image = state.image();
    assertThat(state.apply(1, 3, List.of(createTopic("late", UUID.randomUUID(), 1))))
        .isSameAs(image);
    assertThat(state.contentDigest()).isEqualTo(digest);
    assertThat(state.image().topics()).doesNotContainKey("late");
  }

  @Test
  void snapshotRestoresToAnEqualDigest() {
    populate();
    SnapshotStore store = new SnapshotStore(dir.resolve("snapshots"));
    SnapshotStore.SnapshotRef ref = store.take(state, 2, 6);
    byte[] digest = state.contentDigest();
    state.apply(2, 7, List.of(createTopic("after-snapshot", UUID.randomUUID(), 1)));
    state.close();
    store.restoreInto(ref, dir.resolve("restored"));
    state = ClusterState.open(dir.resolve("restored"));
    assertThat(state.contentDigest()).isEqualTo(digest);
    assertThat(state.image().lastAppliedIndex()).isEqualTo(6);
    assertThat(store.latest().orElseThrow().dir().getFileName().toString())
        .isEqualTo("snapshot.2_6");
  }

  @Test
  void snapshotWithAFlippedByteIsRefusedNamingTheFile() throws Exception {
    populate();
    SnapshotStore store = new SnapshotStore(dir.resolve("snapshots"));
    SnapshotStore.SnapshotRef ref = store.take(state, 2, 6);
    Path sst;
    try (var s = Files.list(ref.dir())) {
      sst = s.filter(p -> p.toString().endsWith(".sst")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(sst);
    bytes[bytes.length / 2] ^= 0x5A;
    Files.write(sst, bytes);
    assertThatThrownBy(() -> store.restoreInto(ref, dir.resolve("restored")))
        .isInstanceOf(MetadataStorageException.class)
        .hasMessageContaining(sst.getFileName().toString())
        .hasMessageContaining("SHA-256");
  }

  @Test
  void snapshotWithAnEditedManifestIsRefused() throws Exception {
    populate();
    SnapshotStore store = new SnapshotStore(dir.resolve("snapshots"));
    SnapshotStore.SnapshotRef ref = store.take(state, 2, 6);
    String manifest = Files.readString(ref.manifestFile(), StandardCharsets.UTF_8);
    Files.writeString(ref.manifestFile(), manifest.replace("index 6", "index 7"));
    assertThatThrownBy(() -> store.verify(ref))
        .isInstanceOf(MetadataStorageException.class)
        .hasMessageContaining("manifest digest");
    Files.writeString(ref.manifestFile(), manifest.substring(0, manifest.length() / 2));
    assertThatThrownBy(() -> store.verify(ref)).isInstanceOf(MetadataStorageException.class);
  }

  @Test
  void retentionKeepsNewestAndYoungSnapshots() {
    populate();
    SnapshotStore store = new SnapshotStore(dir.resolve("snapshots"));
    store.take(state, 2, 6);
    state.apply(2, 7, List.of(createTopic("x", UUID.randomUUID(), 1)));
    store.take(state, 2, 7);
    state.apply(2, 8, List.of(createTopic("y", UUID.randomUUID(), 1)));
    store.take(state, 2, 8);
    store.retain(1, Duration.ofHours(1));
    assertThat(store.all()).hasSize(3);
    store.retain(1, Duration.ZERO.minusSeconds(1));
    assertThat(store.all()).extracting(SnapshotStore.SnapshotRef::index).containsExactly(8L);
  }
}
