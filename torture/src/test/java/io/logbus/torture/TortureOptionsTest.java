package io.logbus.torture;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TortureOptionsTest {
  private static TortureOptions options(long durationMs, int nodes, int groupMembers) {
    return new TortureOptions(
        durationMs, 1, 42, nodes, 3, 300, groupMembers, 9_000, Path.of("l"), Path.of("w"));
  }

  @Test
  void negativeGroupMembersAreRefused() {
    assertThatThrownBy(() -> options(60_000, 3, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--group-members");
  }

  @Test
  void durationUnderTenSecondsIsRefused() {
    assertThatThrownBy(() -> options(9_999, 3, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--duration");
  }

  @Test
  void clusterSizeOtherThanThreeOrFiveIsRefused() {
    assertThatThrownBy(() -> options(60_000, 4, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--nodes");
  }
}
