package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.record.RecordBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Random sequences of append / read / truncate / roll / retention / reopen against a model that is
 * just the list of batches the log should hold.
 */
class PartitionLogPropertiesTest {

  sealed interface Op permits Append, Read, Truncate, Roll, Retention, Reopen {}

  record Append(int records, int valueSize, boolean newEpoch) implements Op {}

  record Read(double where, int maxBytes) implements Op {}

  record Truncate(double where) implements Op {}

  record Roll() implements Op {}

  record Retention(long advanceMs) implements Op {}

  record Reopen() implements Op {}

  record ModelBatch(long baseOffset, long lastOffset, long timestamp, long crc) {}

  static final long RETENTION_MS = 10_000;

  @Provide
  Arbitrary<Op> op() {
    return Arbitraries.frequencyOf(
        Tuple(
            10,
            Combinators.combine(
                    Arbitraries.integers().between(1, 6),
                    Arbitraries.integers().between(0, 300),
                    Arbitraries.of(true, false, false, false))
                .as(Append::new)),
        Tuple(
            4,
            Combinators.combine(
                    Arbitraries.doubles().between(0, 1), Arbitraries.integers().between(0, 2000))
                .as(Read::new)),
        Tuple(2, Arbitraries.doubles().between(0, 1).map(Truncate::new)),
        Tuple(1, Arbitraries.just(new Roll())),
        Tuple(2, Arbitraries.longs().between(0, 8_000).map(Retention::new)),
        Tuple(1, Arbitraries.just(new Reopen())));
  }

  private static net.jqwik.api.Tuple.Tuple2<Integer, Arbitrary<? extends Op>> Tuple(
      int weight, Arbitrary<? extends Op> a) {
    return net.jqwik.api.Tuple.of(weight, a);
  }

  @Property(tries = 60)
  void logBehavesLikeAListOfBatches(@ForAll @Size(max = 40) List<@net.jqwik.api.From("op") Op> ops)
      throws Exception {
    Path dir = Files.createTempDirectory("logprop");
    MutableClock clock = new MutableClock(1_000_000);
    LogConfig config =
        LogConfig.defaults()
            .with(LogConfig.FLUSH, "never")
            .with(LogConfig.SEGMENT_BYTES, "700")
            .with(LogConfig.INDEX_INTERVAL_BYTES, "150")
            .with(LogConfig.RETENTION_MS, Long.toString(RETENTION_MS));
    PartitionLog log = PartitionLog.open("p-0", dir, config, clock, null);
    List<ModelBatch> model = new ArrayList<>();
    long start = 0;
    int epoch = 0;
    try {
      for (Op op : ops) {
        if (op instanceof Append a) {
          epoch += a.newEpoch() ? 1 : 0;
          LogAppendInfo info =
              log.appendAsLeader(
                  TestBatches.batch(a.records(), clock.millis(), a.valueSize()), epoch);
          long expectedFirst =
              model.isEmpty() ? start : model.get(model.size() - 1).lastOffset() + 1;
          assertThat(info.firstOffset()).isEqualTo(expectedFirst);
          RecordBatch stored =
              TestBatches.batches(log.read(info.firstOffset(), 1, Long.MAX_VALUE).records()).get(0);
          model.add(
              new ModelBatch(
                  info.firstOffset(), info.lastOffset(), clock.millis(), stored.checksum()));
          clock.advance(100);
        } else if (op instanceof Read r) {
          long end = endOf(model, start);
          long offset = start + (long) (r.where() * (end - start));
          List<RecordBatch> got =
              TestBatches.batches(log.read(offset, r.maxBytes(), Long.MAX_VALUE).records());
          List<ModelBatch> expected = model.stream().filter(b -> b.lastOffset() >= offset).toList();
          if (offset == end) {
            assertThat(got).isEmpty();
          } else {
            assertThat(got).isNotEmpty();
            assertThat(got.size()).isLessThanOrEqualTo(expected.size());
            for (int i = 0; i < got.size(); i++) {
              assertThat(got.get(i).baseOffset()).isEqualTo(expected.get(i).baseOffset());
              assertThat(got.get(i).lastOffset()).isEqualTo(expected.get(i).lastOffset());
              assertThat(got.get(i).checksum()).isEqualTo(expected.get(i).crc());
            }
          }
        } else if (op instanceof Truncate t) {
          long end = endOf(model, start);
          long offset = start + (long) (t.where() * (end - start));
          log.truncateTo(offset);
          model.removeIf(b -> b.lastOffset() >= offset);
        } else if (op instanceof Roll) {
          log.roll();
        } else if (op instanceof Retention ret) {
          clock.advance(ret.advanceMs());
          log.updateHighWatermark(log.logEndOffset());
          log.deleteOldSegments();
          long newStart = log.logStartOffset();
          for (ModelBatch b : model) {
            if (b.lastOffset() < newStart) {
              assertThat(b.timestamp()).isLessThan(clock.millis() - RETENTION_MS);
            }
          }
          model.removeIf(b -> b.lastOffset() < newStart);
          assertThat(newStart).isGreaterThanOrEqualTo(start);
          start = newStart;
        } else if (op instanceof Reopen) {
          log.close();
          log = PartitionLog.open("p-0", dir, config, clock, null);
        }
        assertThat(log.logStartOffset()).isEqualTo(start);
        assertThat(log.logEndOffset()).isEqualTo(endOf(model, start));
        if (!model.isEmpty()) {
          assertThat(model.get(0).baseOffset()).isGreaterThanOrEqualTo(start);
        }
      }
      List<Long> expectedOffsets = new ArrayList<>();
      for (ModelBatch b : model) {
        for (long o = b.baseOffset(); o <= b.lastOffset(); o++) {
          expectedOffsets.add(o);
        }
      }
      assertThat(TestBatches.allOffsets(log)).isEqualTo(expectedOffsets);
    } finally {
      log.close();
      FileUtil.deleteRecursively(dir);
    }
  }

  private static long endOf(List<ModelBatch> model, long start) {
    return model.isEmpty() ? start : model.get(model.size() - 1).lastOffset() + 1;
  }
}
