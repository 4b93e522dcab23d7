package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Growing a quorum online: joining nodes get the state, the voter set changes. */
class MembershipTest {
  @TempDir Path dir;
  QuorumCluster cluster;
  MetadataQuorum second;
  MetadataQuorum third;

  @AfterEach
  void tearDown() {
    for (MetadataQuorum q : new MetadataQuorum[] {second, third}) {
      if (q != null) {
        q.close();
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private MetadataQuorum startJoining(int id) {
    cluster.voters.put(
        id, InetSocketAddress.createUnresolved("127.0.0.1", QuorumCluster.freePort()));
    return MetadataQuorum.start(cluster.config(id).voters(cluster.voters).joining(true).build());
  }

  @Test
  void singleVoterGrowsToThreeOnlineAndTheNewVotersHoldTheState() throws Exception {
    cluster = QuorumCluster.start(dir, 1);
    MetadataQuorum first = cluster.awaitController();
    Requests.registerBrokers(first, 1);
    Requests.createTopic(first, "before-growth", 2, 1);
    second = startJoining(2);
    third = startJoining(3);
    String addr2 = "127.0.0.1:" + cluster.voters.get(2).getPort();
    String addr3 = "127.0.0.1:" + cluster.voters.get(3).getPort();
    first.addVoter(2, addr2, true).get(60, TimeUnit.SECONDS);
    first.addVoter(3, addr3, false).get(60, TimeUnit.SECONDS);
    await().atMost(QuorumCluster.WAIT).until(() -> first.image().voters().size() == 3);
    assertThat(first.image().voters()).containsExactly(1, 2, 3);
    // Shrinking back to two voters would be even: refused without force.
    assertThat(first.removeVoter(3, false))
        .failsWithin(60, TimeUnit.SECONDS)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(ControllerException.class);
    assertThat(first.image().voters()).containsExactly(1, 2, 3);
    Requests.createTopic(second, "after-growth", 1, 1);
    long index = first.image().lastAppliedIndex();
    for (MetadataQuorum q : new MetadataQuorum[] {first, second, third}) {
      await().atMost(QuorumCluster.WAIT).until(() -> q.image().lastAppliedIndex() >= index);
      assertThat(q.image().topics()).containsKeys("before-growth", "after-growth");
      assertThat(HexFormat.of().formatHex(q.stateDigest()))
          .isEqualTo(HexFormat.of().formatHex(first.stateDigest()));
    }
  }
}
