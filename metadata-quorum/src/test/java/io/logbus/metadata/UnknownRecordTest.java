package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.proto.metadata.MetadataBatch;
import io.logbus.proto.metadata.MetadataRecord;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An entry whose record case this version does not know fails by name and changes nothing. */
class UnknownRecordTest {
  @TempDir Path dir;
  QuorumCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void entryWithUnknownRecordCaseFailsNamingItAndLeavesStateAlone() throws Exception {
    cluster = QuorumCluster.start(dir, 1);
    MetadataQuorum q = cluster.awaitController();
    Requests.registerBrokers(q, 1);
    byte[] before = q.stateDigest();
    long index = q.image().lastAppliedIndex();
    // A record from a newer version parses as a MetadataRecord with no case set.
    MetadataBatch batch =
        MetadataBatch.newBuilder()
            .addRecords(ClusterStateTest.register(9))
            .addRecords(MetadataRecord.getDefaultInstance())
            .build();
    assertThatThrownBy(() -> q.server().proposer().propose(batch).get(30, TimeUnit.SECONDS))
        .hasMessageContaining("unknown metadata record case");
    assertThat(q.image().lastAppliedIndex()).isGreaterThan(index);
    assertThat(q.image().broker(9)).isEmpty();
    assertThat(q.stateDigest()).isEqualTo(before);
    assertThatThrownBy(() -> new ImageBuilder(q.image()).apply(MetadataRecord.getDefaultInstance()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RECORD_NOT_SET");
  }
}
