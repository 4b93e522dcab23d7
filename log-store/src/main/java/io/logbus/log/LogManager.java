package io.logbus.log;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All partition logs under one directory ({@code <logsDir>/<topic>-<partition>/}), plus the threads
 * they share: the group flusher, and one background thread that runs retention, compaction and the
 * checkpoint writer every {@code backgroundInterval}.
 *
 * <p>Thread-safe. Logs found on disk at open are loaded with {@code defaults} until the broker
 * calls {@link #getOrCreate} or {@link #updateConfig} with the topic's config.
 */
public final class LogManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LogManager.class);
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  public static final Duration DEFAULT_BACKGROUND_INTERVAL = Duration.ofSeconds(30);

  /** Overlapping fsyncs per busy log; see {@link GroupFlusher}. */
  static final int FLUSHER_THREADS = 4;

  private final Path logsDir;
  private final LogConfig defaults;
  private final Clock clock;
  private final GroupFlusher flusher;
  private final LogCleaner cleaner;
  private final ScheduledExecutorService background;
  private final Map<String, PartitionLog> logs = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private LogManager(
      Path logsDir, LogConfig defaults, Clock clock, Duration interval, int flusherThreads) {
    this.logsDir = logsDir;
    this.defaults = defaults;
    this.clock = clock;
    this.flusher = new GroupFlusher("logbus-group-flusher", flusherThreads);
    this.cleaner = new LogCleaner(clock);
    this.background =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "logbus-log-background");
              t.setDaemon(true);
              return t;
            });
    if (interval != null) {
      long ms = interval.toMillis();
      background.scheduleWithFixedDelay(this::backgroundPass, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  /** Opens every log under {@code logsDir} (recovering those not closed cleanly). */
  public static LogManager open(Path logsDir, LogConfig defaults, Clock clock) {
    return open(logsDir, defaults, clock, DEFAULT_BACKGROUND_INTERVAL);
  }

  /**
   * As {@link #open(Path, LogConfig, Clock)}, with the period of retention, compaction and
   * checkpoints; null runs them only when {@link #runBackgroundPass()} is called (tests).
   */
  public static LogManager open(
      Path logsDir, LogConfig defaults, Clock clock, Duration backgroundInterval) {
    return open(logsDir, defaults, clock, backgroundInterval, FLUSHER_THREADS);
  }

  /** As above with {@code flusherThreads} group flusher threads (benchmarks compare counts). */
  static LogManager open(
      Path logsDir,
      LogConfig defaults,
      Clock clock,
      Duration backgroundInterval,
      int flusherThreads) {
    Objects.requireNonNull(logsDir, "logsDir");
    Objects.requireNonNull(defaults, "defaults");
    Objects.requireNonNull(clock, "clock");
    if (backgroundInterval != null
        && (backgroundInterval.isNegative() || backgroundInterval.isZero())) {
      throw new IllegalArgumentException("background interval must be positive");
    }
    try {
      Files.createDirectories(logsDir);
    } catch (IOException e) {
      throw new LogStorageException("cannot create logs directory " + logsDir, e);
    }
    LogManager m = new LogManager(logsDir, defaults, clock, backgroundInterval, flusherThreads);
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(logsDir, Files::isDirectory)) {
      for (Path d : dirs) {
        String n = d.getFileName().toString();
        int dash = n.lastIndexOf('-');
        if (dash <= 0 || !n.substring(dash + 1).matches("\\d{1,9}")) {
          LOG.warn("ignoring {}: not a <topic>-<partition> directory", d);
          continue;
        }
        m.logs.put(n, PartitionLog.open(n, d, defaults, clock, m.flusher));
      }
    } catch (IOException e) {
      m.close();
      throw new LogStorageException("cannot list " + logsDir, e);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return m;
  }

  private static String key(String topic, int partition) {
    if (topic == null
        || !TOPIC.matcher(topic).matches()
        || topic.equals(".")
        || topic.equals("..")) {
      throw new IllegalArgumentException("invalid topic name '" + topic + "'");
    }
    if (partition < 0) {
      throw new IllegalArgumentException("negative partition " + partition);
    }
    return topic + "-" + partition;
  }

  /** The log of (topic, partition), created if absent; {@code config} replaces its config. */
  public PartitionLog getOrCreate(String topic, int partition, LogConfig config) {
    Objects.requireNonNull(config, "config");
    String k = key(topic, partition);
    ensureOpen();
    PartitionLog log =
        logs.computeIfAbsent(
            k, n -> PartitionLog.open(n, logsDir.resolve(n), config, clock, flusher));
    log.updateConfig(config);
    return log;
  }

  public Optional<PartitionLog> get(String topic, int partition) {
    return Optional.ofNullable(logs.get(key(topic, partition)));
  }

  /** Closes the log and removes its directory. No-op if absent. */
  public void delete(String topic, int partition) {
    PartitionLog log = logs.remove(key(topic, partition));
    if (log != null) {
      cleaner.forget(log);
      try {
        log.deleteFiles();
      } catch (IOException e) {
        throw new LogStorageException("cannot delete " + log.dir(), e);
      }
    }
  }

  public Collection<PartitionLog> logs() {
    return List.copyOf(logs.values());
  }

  public void updateConfig(String topic, int partition, LogConfig config) {
    Objects.requireNonNull(config, "config");
    PartitionLog log = logs.get(key(topic, partition));
    if (log == null) {
      throw new IllegalArgumentException("no log for " + key(topic, partition));
    }
    log.updateConfig(config);
  }

  /**
   * One pass of retention, producer-id expiry, compaction and checkpoint writing over every log.
   * The manager runs it every background interval; a broker that opened the manager without one
   * calls this from its own scheduler.
   */
  public void runBackgroundPass() {
    backgroundPass();
  }

  private void backgroundPass() {
    for (PartitionLog log : new ArrayList<>(logs.values())) {
      if (closed) {
        return;
      }
      try {
        log.deleteOldSegments();
        log.removeExpiredProducers();
        if (log.config().cleanupPolicy() == LogConfig.CleanupPolicy.COMPACT) {
          cleaner.maybeClean(log);
        }
        log.flushCheckpoints();
      } catch (RuntimeException e) {
        // Any failure stays with its log: an exception escaping this loop would cancel the
        // scheduled task, silently ending retention, compaction and checkpoints for every log.
        if (!log.isClosed()) {
          LOG.error("[{}] background pass failed", log.name(), e);
        }
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("log manager for " + logsDir + " is closed");
    }
  }

  /** Stops the background threads, then closes every log cleanly (checkpoints, marker). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    background.shutdown();
    try {
      if (!background.awaitTermination(30, TimeUnit.SECONDS)) {
        background.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flusher.close();
    RuntimeException first = null;
    for (PartitionLog log : logs.values()) {
      try {
        log.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
