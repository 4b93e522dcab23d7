package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.ErrorCode;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shrinking a live quorum online (Ratis setConfiguration): 3 voters lose a live follower (forced:
 * two voters is even), then the live leader (2 to 1 needs no force); the group keeps committing
 * after each step, the removed nodes stop being voters and never lead again; an empty quorum is
 * refused even when forced.
 */
class VoterRemovalTest {
  @TempDir Path dir;
  QuorumCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void liveFollowerThenLiveLeaderAreRemovedAndTheGroupKeepsCommitting() throws Exception {
    cluster = QuorumCluster.start(dir, 3);
    MetadataQuorum leader = cluster.awaitController();
    Requests.registerBrokers(leader, 1);
    int follower = leader.nodeId() == 1 ? 2 : 1;

    assertRefused(leader.removeVoter(follower, false), "even");
    assertThat(leader.image().voters()).containsExactly(1, 2, 3);

    leader.removeVoter(follower, true).get(60, TimeUnit.SECONDS);
    awaitVoters(leader, 2);
    assertThat(leader.image().voters()).doesNotContain(follower);
    assertThat(Requests.createTopic(leader, "after-follower-removal", 1, 1).getTopics(0).getError())
        .isEqualTo(ErrorCode.NONE);
    MetadataQuorum removed = cluster.node(follower);
    await().atMost(QuorumCluster.WAIT).until(() -> !removed.image().voters().contains(follower));

    // The leader removes itself: 2 -> 1 voter is odd, no force needed.
    int leaderId = leader.nodeId();
    int last = 6 - leaderId - follower;
    leader.removeVoter(leaderId, false).get(60, TimeUnit.SECONDS);
    MetadataQuorum survivor = cluster.node(last);
    await().atMost(QuorumCluster.WAIT).until(survivor::isController);
    awaitVoters(survivor, 1);
    assertThat(survivor.image().voters()).containsExactly(last);
    assertThat(Requests.createTopic(survivor, "after-leader-removal", 1, 1).getTopics(0).getError())
        .isEqualTo(ErrorCode.NONE);
    await().atMost(QuorumCluster.WAIT).until(() -> !leader.image().voters().contains(leaderId));
    assertThat(leader.isController()).isFalse();
    assertThat(removed.isController()).isFalse();

    assertRefused(survivor.removeVoter(last, true), "zero voters");
    assertThat(survivor.image().voters()).containsExactly(last);
    assertThat(Requests.createTopic(survivor, "still-committing", 1, 1).getTopics(0).getError())
        .isEqualTo(ErrorCode.NONE);
  }

  private static void awaitVoters(MetadataQuorum q, int count) {
    await().atMost(QuorumCluster.WAIT).until(() -> q.image().voters().size() == count);
  }

  private static void assertRefused(
      java.util.concurrent.CompletableFuture<Void> change, String why) {
    assertThat(change)
        .failsWithin(60, TimeUnit.SECONDS)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(ControllerException.class)
        .withMessageContaining(why);
  }
}
