package io.logbus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LeaderEndHistoryTest {
  private final LeaderEndHistory history = new LeaderEndHistory(1_000); // 10 ms per sample

  @Test
  void tellsWhenTheLogEndFirstPassedAnOffset() {
    history.appended(100, 0, 5);
    history.appended(200, 5, 8);
    assertThat(history.passedAtMs(0)).isEqualTo(100);
    assertThat(history.passedAtMs(4)).isEqualTo(100);
    assertThat(history.passedAtMs(5)).isEqualTo(200);
    assertThat(history.passedAtMs(8)).as("not passed yet").isEqualTo(-1);
  }

  @Test
  void appendsCloseTogetherShareTheEarlierTime() {
    history.appended(100, 0, 5);
    history.appended(105, 5, 8);
    assertThat(history.passedAtMs(6)).isEqualTo(100);
    history.appended(110, 8, 9);
    assertThat(history.passedAtMs(8)).isEqualTo(110);
  }

  @Test
  void forgetsWhatIsOlderThanTheWindowAndAfterClear() {
    history.appended(100, 0, 5);
    history.appended(1_200, 5, 8);
    assertThat(history.passedAtMs(2)).as("passed before the window").isEqualTo(-1);
    assertThat(history.passedAtMs(6)).isEqualTo(1_200);
    history.clear();
    assertThat(history.passedAtMs(6)).isEqualTo(-1);
  }

  @Test
  void ignoresAppendsThatDoNotMoveTheEnd() {
    history.appended(100, 5, 5);
    history.appended(100, 5, 3);
    assertThat(history.passedAtMs(4)).isEqualTo(-1);
  }

  @Test
  void refusesAnEmptyWindow() {
    assertThatThrownBy(() -> new LeaderEndHistory(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0");
    assertThatThrownBy(() -> new LeaderEndHistory(-5)).isInstanceOf(IllegalArgumentException.class);
  }
}
