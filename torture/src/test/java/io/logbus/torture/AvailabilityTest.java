package io.logbus.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AvailabilityTest {
  private final List<History.Ack> acks = new ArrayList<>();
  private final List<History.NodeEvent> nodes = new ArrayList<>();

  private void ack(int partition, long atMs) {
    acks.add(new History.Ack("w0-" + acks.size(), 0, acks.size(), partition, 0, atMs));
  }

  @Test
  void oneNodeOfThreeDownLeavesAMajority() {
    nodes.add(new History.NodeEvent(100, 1, false));
    nodes.add(new History.NodeEvent(900, 1, true));

    assertThat(Availability.majorityDown(nodes, 3, 1_000)).isEmpty();
  }

  @Test
  void twoNodesOfThreeDownIsAMajorityDownUntilTheFirstIsBack() {
    nodes.add(new History.NodeEvent(100, 1, false));
    nodes.add(new History.NodeEvent(110, 2, false));
    nodes.add(new History.NodeEvent(700, 1, true));
    nodes.add(new History.NodeEvent(900, 2, true));

    assertThat(Availability.majorityDown(nodes, 3, 1_000))
        .singleElement()
        .satisfies(i -> assertThat(i).containsExactly(110, 700));
  }

  @Test
  void majorityStillDownAtTheEndIsCutAtTheEnd() {
    nodes.add(new History.NodeEvent(100, 1, false));
    nodes.add(new History.NodeEvent(110, 2, false));

    assertThat(Availability.majorityDown(nodes, 3, 1_000))
        .singleElement()
        .satisfies(i -> assertThat(i).containsExactly(110, 1_000));
  }

  @Test
  void gapIsSplitIntoItsMajorityDownPartAndTheRecoveryAfter() {
    ack(0, 0);
    ack(0, 100);
    nodes.add(new History.NodeEvent(200, 1, false));
    nodes.add(new History.NodeEvent(200, 2, false));
    nodes.add(new History.NodeEvent(5_000, 1, true));
    ack(0, 7_500); // 2.5 s after the majority was back
    ack(0, 7_600);
    nodes.add(new History.NodeEvent(8_000, 2, true));

    Availability.Figures figures = Availability.figures(acks, nodes, 3, 7_600);

    assertThat(figures.longestMs()).isEqualTo(7_400);
    assertThat(figures.majorityDownMs()).isEqualTo(4_800);
    assertThat(figures.majorityUpMs()).isEqualTo(2_500);
    assertThat(figures.worstMajorityUp().get(0))
        .isEqualTo(new Availability.Window(5_000, 7_500, -1, true));
  }

  @Test
  void onePartitionStalledWhileOthersAreAckedShowsOnlyInThePartitionFigure() {
    ack(0, 0);
    ack(1, 0);
    for (long t = 100; t <= 10_000; t += 100) {
      ack(0, t);
    }
    ack(1, 10_000);

    Availability.Figures figures = Availability.figures(acks, nodes, 3, 10_000);

    assertThat(figures.majorityUpMs()).isEqualTo(100);
    assertThat(figures.partitionMajorityUpMs()).isEqualTo(10_000);
    assertThat(figures.worstMajorityUp().get(0).partition()).isEqualTo(1);
  }

  @Test
  void percentileIsNearestRank() {
    assertThat(Availability.percentile(List.of(5L, 1L, 3L, 2L, 4L), 50)).isEqualTo(3);
    assertThat(Availability.percentile(List.of(5L, 1L, 3L, 2L, 4L), 99)).isEqualTo(5);
    assertThat(Availability.percentile(List.of(), 99)).isZero();
  }
}
