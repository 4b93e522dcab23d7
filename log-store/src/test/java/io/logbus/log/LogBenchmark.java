package io.logbus.log;

import io.logbus.record.CompressionType;
import io.logbus.record.RecordBatchBuilder;
import io.logbus.record.RecordBatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Log append and read throughput beside a raw FileChannel doing the same I/O in the same run.
 * Scores are operations per second; one operation moves one batch (append) or up to 1 MiB (read),
 * so MB/s = score x bytes per operation (see README.md). Not a test: surefire skips it; run {@link
 * #main}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LogBenchmark {
  static final int RECORD_BYTES = 1024;
  static final int READ_BYTES = 1 << 20;

  /** A batch of 1 KiB records totalling about {@code bytes}. */
  static ByteBuffer batchOf(int bytes) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE, 0, bytes + 4096);
    byte[] value = new byte[RECORD_BYTES - 30];
    for (int i = 0; i < bytes / RECORD_BYTES; i++) {
      value[0] = (byte) i;
      b.append(System.currentTimeMillis(), null, value, null);
    }
    return b.build();
  }

  static LogConfig config(String flush) {
    return LogConfig.defaults().with(LogConfig.FLUSH, flush);
  }

  /** A fresh log and a fresh raw file per iteration, written with the same batch. */
  public abstract static class AppendState {
    Path dir;
    PartitionLog log;
    FileChannel raw;
    long rawPosition;
    ByteBuffer batch;

    void open(int batchBytes) throws IOException {
      dir = Files.createTempDirectory("logbench");
      log =
          PartitionLog.open(
              "bench-0", dir.resolve("bench-0"), config("never"), Clock.systemUTC(), null);
      raw =
          FileChannel.open(
              dir.resolve("raw.bin"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      rawPosition = 0;
      batch = batchOf(batchBytes);
    }

    void close() throws IOException {
      log.close();
      raw.close();
      FileUtil.deleteRecursively(dir);
    }

    LogAppendInfo appendLog() {
      return log.appendAsLeader(batch.duplicate(), 0);
    }

    long appendRaw() throws IOException {
      ByteBuffer b = batch.duplicate();
      while (b.hasRemaining()) {
        rawPosition += raw.write(b, rawPosition);
      }
      return rawPosition;
    }
  }

  @State(Scope.Thread)
  public static class Append16k extends AppendState {
    @Setup(Level.Iteration)
    public void setup() throws IOException {
      open(16 * 1024);
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
      close();
    }
  }

  @State(Scope.Thread)
  public static class Append1m extends AppendState {
    @Setup(Level.Iteration)
    public void setup() throws IOException {
      open(1024 * 1024);
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
      close();
    }
  }

  // Method names sort so that each log case runs right before its raw twin: the machine's load
  // drifts, and adjacent runs see the most similar conditions.

  @Benchmark
  public LogAppendInfo append16kLog(Append16k s) {
    return s.appendLog();
  }

  @Benchmark
  public long append16kRawChannel(Append16k s) throws IOException {
    return s.appendRaw();
  }

  @Benchmark
  public LogAppendInfo append1mLog(Append1m s) {
    return s.appendLog();
  }

  @Benchmark
  public long append1mRawChannel(Append1m s) throws IOException {
    return s.appendRaw();
  }

  @State(Scope.Thread)
  public static class ReadState {
    static final long LOG_BYTES = 512L << 20;
    Path dir;
    PartitionLog log;
    FileChannel raw;
    long rawSize;
    long rawPosition;
    long nextOffset;

    @Setup(Level.Trial)
    public void setup() throws IOException {
      dir = Files.createTempDirectory("logbench");
      log =
          PartitionLog.open(
              "bench-0", dir.resolve("bench-0"), config("never"), Clock.systemUTC(), null);
      ByteBuffer batch = batchOf(16384);
      while (log.sizeInBytes() < LOG_BYTES) {
        log.appendAsLeader(batch.duplicate(), 0);
      }
      // The raw reader reads the very same bytes: the log's segment file.
      raw =
          FileChannel.open(log.segments.firstEntry().getValue().logFile(), StandardOpenOption.READ);
      rawSize = raw.size();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      raw.close();
      log.close();
      FileUtil.deleteRecursively(dir);
    }
  }

  @Benchmark
  public ByteBuffer readLog(ReadState s) {
    if (s.nextOffset >= s.log.logEndOffset()) {
      s.nextOffset = 0;
    }
    ByteBuffer data = s.log.read(s.nextOffset, READ_BYTES, Long.MAX_VALUE).records();
    int p = 0;
    long last = s.nextOffset;
    while (p < data.limit()) {
      last = RecordBatchFormat.baseOffset(data, p) + RecordBatchFormat.lastOffsetDelta(data, p);
      p += (int) RecordBatchFormat.sizeInBytes(data, p);
    }
    s.nextOffset = last + 1;
    return data;
  }

  @Benchmark
  public ByteBuffer readRawChannel(ReadState s) throws IOException {
    if (s.rawPosition >= s.rawSize) {
      s.rawPosition = 0;
    }
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(READ_BYTES, s.rawSize - s.rawPosition));
    while (buf.hasRemaining()) {
      s.rawPosition += s.raw.read(buf, s.rawPosition);
    }
    return buf;
  }

  /**
   * flush=group shared by 8 appender threads; each append waits for its fsync. {@code
   * flusherThreads} compares one flusher with overlapping ones.
   */
  @State(Scope.Benchmark)
  public static class GroupState {
    @Param({"1", "2", "4", "8"})
    int flusherThreads;

    Path dir;
    LogManager manager;
    PartitionLog log;
    final AtomicLong appends = new AtomicLong();

    @Setup(Level.Iteration)
    public void setup() throws IOException {
      dir = Files.createTempDirectory("logbench");
      appends.set(0);
      manager = LogManager.open(dir, config("group"), Clock.systemUTC(), null, flusherThreads);
      log = manager.getOrCreate("bench", 0, config("group"));
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
      if (log.logEndOffset() > 0) {
        long appends = this.appends.get();
        System.out.printf(
            " [group commit: %d appends, %d fsyncs, %.1f appends per fsync]%n",
            appends, log.groupFsyncCount(), (double) appends / Math.max(1, log.groupFsyncCount()));
      }
      manager.close();
      FileUtil.deleteRecursively(dir);
    }
  }

  /** The raw twins of {@link GroupState}: one file that 8 threads write at disjoint positions. */
  @State(Scope.Benchmark)
  public static class GroupRawState {
    Path dir;
    FileChannel raw;
    final AtomicLong rawPosition = new AtomicLong();
    final AtomicLong writes = new AtomicLong();

    @Setup(Level.Iteration)
    public void setup() throws IOException {
      dir = Files.createTempDirectory("logbench");
      raw =
          FileChannel.open(
              dir.resolve("raw.bin"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      rawPosition.set(0);
      writes.set(0);
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
      raw.close();
      FileUtil.deleteRecursively(dir);
    }

    long write(ByteBuffer batch) throws IOException {
      ByteBuffer b = batch.duplicate();
      long at = rawPosition.getAndAdd(b.remaining());
      while (b.hasRemaining()) {
        at += raw.write(b, at);
      }
      return at;
    }
  }

  /**
   * Each appender's batch. The append sizes (16 KiB and 1 MiB) both apply to group flush:
   * an appender that waits for its fsync keeps one batch in flight, so the batch size sets how many
   * bytes each fsync round can cover.
   */
  @State(Scope.Thread)
  public static class ThreadBatch {
    @Param({"16384", "1048576"})
    int batchBytes;

    ByteBuffer batch;

    @Setup(Level.Trial)
    public void setup() {
      batch = batchOf(batchBytes);
    }
  }

  @Benchmark
  @Threads(8)
  public Object appendGroup8Log(GroupState s, ThreadBatch t) {
    s.appends.incrementAndGet();
    return s.log.appendAsLeader(t.batch.duplicate(), 0).durable().join();
  }

  /** The baseline: the same 16 KiB writes from 8 threads, page cache only (no fsync). */
  @Benchmark
  @Threads(8)
  public long appendGroup8RawChannel(GroupRawState s, ThreadBatch t) throws IOException {
    return s.write(t.batch);
  }

  /** Every thread fsyncs its own write, as a log without group commit would. */
  @Benchmark
  @Threads(8)
  public long appendGroup8RawChannelFsyncEach(GroupRawState s, ThreadBatch t) throws IOException {
    long at = s.write(t.batch);
    s.raw.force(false);
    return at;
  }

  /**
   * The disk's bound for 8 closed-loop appenders: at most 8 x 16 KiB can be waiting for one fsync,
   * so one thread writing 8 batches then fsyncing shows the best any group commit can do here.
   */
  @Benchmark
  public long appendRawChannelFsyncPer8(GroupRawState s, ThreadBatch t) throws IOException {
    return writeFsyncEvery(s, t, 8);
  }

  /** As above with one fsync per 1 MiB (64 batches): the disk's bandwidth with larger groups. */
  @Benchmark
  public long appendRawChannelFsyncPer64(GroupRawState s, ThreadBatch t) throws IOException {
    return writeFsyncEvery(s, t, 64);
  }

  private static long writeFsyncEvery(GroupRawState s, ThreadBatch t, int writes)
      throws IOException {
    long at = s.write(t.batch);
    if (s.writes.incrementAndGet() % writes == 0) {
      s.raw.force(false);
    }
    return at;
  }

  /**
   * Time spent in the log and in the raw channel by the paired benchmarks below, which alternate
   * one log operation and one raw operation on the same bytes: the machine's load (2 shared cores)
   * drifts by 2x within a minute, so only interleaved timing gives a trustworthy ratio. Printed per
   * iteration.
   */
  @State(Scope.Thread)
  public static class Paired {
    long logNanos;
    long rawNanos;
    long bytes;

    @Setup(Level.Iteration)
    public void reset() {
      logNanos = 0;
      rawNanos = 0;
      bytes = 0;
    }

    @TearDown(Level.Iteration)
    public void print() {
      System.out.printf(
          " [paired: log %.0f MB/s, raw %.0f MB/s, log/raw %.2f]%n",
          bytes * 1e3 / logNanos, bytes * 1e3 / rawNanos, (double) rawNanos / logNanos);
    }
  }

  private static void pairedAppend(AppendState s, Paired p) throws IOException {
    long t0 = System.nanoTime();
    s.appendLog();
    long t1 = System.nanoTime();
    s.appendRaw();
    long t2 = System.nanoTime();
    p.logNanos += t1 - t0;
    p.rawNanos += t2 - t1;
    p.bytes += s.batch.remaining();
  }

  @Benchmark
  public void paired16kAppend(Append16k s, Paired p) throws IOException {
    pairedAppend(s, p);
  }

  @Benchmark
  public void paired1mAppend(Append1m s, Paired p) throws IOException {
    pairedAppend(s, p);
  }

  @Benchmark
  public void pairedRead(ReadState s, Paired p) throws IOException {
    long t0 = System.nanoTime();
    ByteBuffer a = readLog(s);
    long t1 = System.nanoTime();
    ByteBuffer b = readRawChannel(s);
    long t2 = System.nanoTime();
    p.logNanos += t1 - t0;
    p.rawNanos += t2 - t1;
    p.bytes += Math.min(a.remaining(), b.position());
  }

  /**
   * Brief run (2 cores): 1 fork, 3 x 2 s warm-up, 4 x 2 s measured. Args: JMH include regex; with
   * more than one argument, JMH's own command line (e.g. {@code -wi 2 -i 3 -f 1 appendGroup}).
   */
  public static void main(String[] args) throws Exception {
    if (args.length > 1) {
      org.openjdk.jmh.Main.main(args);
      return;
    }
    new Runner(
            new OptionsBuilder()
                .include(args.length > 0 ? args[0] : LogBenchmark.class.getSimpleName())
                .forks(1)
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(2))
                .measurementIterations(4)
                .measurementTime(TimeValue.seconds(2))
                .jvmArgs("-Xmx3g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .build())
        .run();
  }
}
