package io.logbus.client;

import io.logbus.record.CompressionType;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends records to logbus, shaped like Kafka's producer: {@link #send} appends to a per-partition
 * batch and returns at once with a future; one I/O thread ({@link Sender}) ships batches to
 * partition leaders, retries, and completes futures and callbacks in order within each partition.
 * Idempotent by default (acks=all, producer id and sequence numbers: retries never duplicate or
 * reorder). Thread-safe: many threads may send through one producer.
 */
public final class LogbusProducer implements AutoCloseable {
  private final ProducerConfig config;
  private final Clock clock;
  private final BrokerChannels channels = new BrokerChannels();
  private final MetadataManager metadata;
  private final BufferPool pool;
  private final RecordAccumulator accumulator;
  private final Partitioner partitioner = new Partitioner();
  private final Sender sender;
  private final Thread ioThread;
  private volatile boolean closed;

  private LogbusProducer(ProducerConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.metadata =
        new MetadataManager(
            config.clientId(),
            config.bootstrapServers(),
            channels,
            config.requestTimeoutMs(),
            config.retryBackoffMs(),
            clock);
    this.pool = new BufferPool(config.bufferMemory());
    this.accumulator =
        new RecordAccumulator(
            config.batchSize(), config.lingerMs(), config.compression(), pool, clock);
    this.sender = new Sender(config, accumulator, metadata, clock);
    this.ioThread = new Thread(sender, "logbus-producer-io-" + config.clientId());
    this.ioThread.setDaemon(true);
    this.ioThread.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  public ProducerConfig config() {
    return config;
  }

  public CompletableFuture<RecordMetadata> send(ProducerRecord record) {
    return send(record, null);
  }

  /**
   * Queues the record. Blocks up to max.block.ms while the topic's metadata is unknown or
   * buffer.memory is full; errors found before queueing (unknown topic, record too large, buffer
   * exhausted) fail the returned future and call the callback, like Kafka.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public CompletableFuture<RecordMetadata> send(ProducerRecord record, Callback callback) {
    if (closed) {
      throw new IllegalStateException("cannot send after the producer is closed");
    }
    CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
    try {
      long deadline = clock.millis() + config.maxBlockMs();
      Cluster cluster = waitOnMetadata(record.topic(), record.partition(), deadline);
      int numPartitions = cluster.partitionCount(record.topic());
      int partition =
          record.partition() != null
              ? record.partition()
              : partitioner.partition(
                  record.topic(),
                  record.key(),
                  numPartitions,
                  cluster.availablePartitions(record.topic()));
      int estimate = RecordAccumulator.estimate(record.key(), record.value(), record.headers());
      if (estimate > config.maxRequestSize() || estimate > config.bufferMemory()) {
        throw new ApiException(
            io.logbus.proto.ErrorCode.RECORD_TOO_LARGE,
            "record of "
                + estimate
                + " bytes is larger than max.request.size="
                + config.maxRequestSize()
                + " or buffer.memory="
                + config.bufferMemory());
      }
      long waitMs = Math.max(0, deadline - clock.millis());
      if (!pool.reserve(estimate, waitMs)) {
        throw new ClientTimeoutException(
            "failed to allocate "
                + estimate
                + " bytes within max.block.ms="
                + config.maxBlockMs()
                + ": buffer.memory="
                + config.bufferMemory()
                + " is full of records not yet acknowledged");
      }
      long timestamp = record.timestamp() != null ? record.timestamp() : clock.millis();
      TopicPartition tp = new TopicPartition(record.topic(), partition);
      ProducerBatch.Thunk thunk =
          new ProducerBatch.Thunk(
              future,
              callback,
              timestamp,
              record.key() == null ? -1 : record.key().length,
              record.value() == null ? -1 : record.value().length);
      RecordAccumulator.AppendResult result =
          accumulator.append(
              tp, timestamp, record.key(), record.value(), record.headers(), thunk, estimate);
      if (result.newBatch() && record.key() == null && record.partition() == null) {
        partitioner.onNewBatch(
            record.topic(), partition, numPartitions, cluster.availablePartitions(record.topic()));
      }
      if (result.newBatch() || result.batchFull() || config.lingerMs() == 0) {
        sender.wakeup();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failEarly(future, callback, new LogbusException("interrupted while sending", e));
    } catch (LogbusException e) {
      failEarly(future, callback, e);
    }
    return future;
  }

  private static void failEarly(
      CompletableFuture<RecordMetadata> future, Callback callback, LogbusException e) {
    future.completeExceptionally(e);
    if (callback != null) {
      callback.onCompletion(null, e);
    }
  }

  /** Waits (bounded by the deadline) until the topic and partition are in the metadata. */
  private Cluster waitOnMetadata(String topic, Integer partition, long deadline)
      throws InterruptedException {
    Cluster cluster = metadata.current();
    BrokerUnavailableException unreachable = null;
    boolean reached = cluster.fetchedAtMs() > 0;
    while (true) {
      int count = cluster.partitionCount(topic);
      if (count > 0 && (partition == null || partition < count)) {
        return cluster;
      }
      try {
        cluster = metadata.refresh();
        reached = true;
        count = cluster.partitionCount(topic);
        if (count > 0 && (partition == null || partition < count)) {
          return cluster;
        }
      } catch (BrokerUnavailableException e) {
        unreachable = e;
        if (!reached) {
          throw e;
        }
      }
      long remaining = deadline - clock.millis();
      if (remaining <= 0) {
        if (!reached && unreachable != null) {
          throw unreachable;
        }
        if (count > 0) {
          throw new ApiException(
              io.logbus.proto.ErrorCode.UNKNOWN_PARTITION,
              "unknown partition "
                  + partition
                  + " of topic "
                  + topic
                  + " ("
                  + count
                  + " partitions)");
        }
        throw new ApiException(
            io.logbus.proto.ErrorCode.UNKNOWN_TOPIC,
            "unknown topic " + topic + " (not in metadata after " + config.maxBlockMs() + " ms)");
      }
      Thread.sleep(Math.min(remaining, Math.max(1, config.retryBackoffMs())));
    }
  }

  /** Number of partitions of the topic, waiting up to max.block.ms for its metadata. */
  public int partitionCount(String topic) {
    try {
      return waitOnMetadata(topic, null, clock.millis() + config.maxBlockMs())
          .partitionCount(topic);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LogbusException("interrupted", e);
    }
  }

  /**
   * Sends everything queued now without lingering and waits until each of those records completed
   * (acknowledged or failed).
   */
  public void flush() {
    List<ProducerBatch> pending = accumulator.incompleteBatches();
    accumulator.beginFlush();
    try {
      sender.wakeup();
      for (ProducerBatch b : pending) {
        b.done().join();
      }
    } finally {
      accumulator.endFlush();
    }
  }

  @Override
  public void close() {
    close(Duration.ofMillis(Long.MAX_VALUE));
  }

  /**
   * Stops accepting records, sends what is queued and waits up to {@code timeout} for answers;
   * records still unacknowledged then fail.
   */
  public void close(Duration timeout) {
    if (closed) {
      return;
    }
    closed = true;
    long ms = timeout.toMillis();
    sender.initiateClose(ms);
    try {
      if (ms >= Long.MAX_VALUE / 2) {
        ioThread.join();
      } else {
        ioThread.join(Math.max(1, ms + TimeUnit.SECONDS.toMillis(5)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      channels.close();
    }
  }

  /** Builds a {@link LogbusProducer}; defaults are Kafka's producer defaults. */
  public static final class Builder {
    private String bootstrap;
    private String clientId = "producer";
    private String acks = "all";
    private int batchSize = 16_384;
    private long lingerMs = 5;
    private long bufferMemory = 32L * 1024 * 1024;
    private long maxBlockMs = 60_000;
    private CompressionType compression = CompressionType.NONE;
    private int retries = Integer.MAX_VALUE;
    private long retryBackoffMs = 100;
    private long deliveryTimeoutMs = 120_000;
    private long requestTimeoutMs = 30_000;
    private Boolean idempotence;
    private int maxInFlight = 5;
    private int maxRequestSize = 1_048_576;
    private Clock clock = Clock.systemUTC();

    public Builder bootstrapServers(String servers) {
      this.bootstrap = servers;
      return this;
    }

    public Builder clientId(String id) {
      this.clientId = id;
      return this;
    }

    /** "all" or "-1", "1", "0". */
    public Builder acks(String acks) {
      this.acks = acks;
      return this;
    }

    public Builder batchSize(int bytes) {
      this.batchSize = bytes;
      return this;
    }

    public Builder lingerMs(long ms) {
      this.lingerMs = ms;
      return this;
    }

    public Builder bufferMemory(long bytes) {
      this.bufferMemory = bytes;
      return this;
    }

    public Builder maxBlockMs(long ms) {
      this.maxBlockMs = ms;
      return this;
    }

    public Builder compression(CompressionType type) {
      this.compression = type;
      return this;
    }

    /** none, gzip, snappy, lz4, zstd. */
    public Builder compression(String name) {
      try {
        this.compression = CompressionType.forName(name);
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new ConfigException(
            "compression.type", name, "expected none, gzip, snappy, lz4 or zstd");
      }
      return this;
    }

    public Builder retries(int retries) {
      this.retries = retries;
      return this;
    }

    public Builder retryBackoffMs(long ms) {
      this.retryBackoffMs = ms;
      return this;
    }

    public Builder deliveryTimeoutMs(long ms) {
      this.deliveryTimeoutMs = ms;
      return this;
    }

    public Builder requestTimeoutMs(long ms) {
      this.requestTimeoutMs = ms;
      return this;
    }

    public Builder idempotence(boolean enabled) {
      this.idempotence = enabled;
      return this;
    }

    public Builder maxInFlightPerPartition(int n) {
      this.maxInFlight = n;
      return this;
    }

    public Builder maxRequestSize(int bytes) {
      this.maxRequestSize = bytes;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Validates everything and starts the I/O thread. */
    public LogbusProducer build() {
      return new LogbusProducer(toConfig(), clock);
    }

    /** Validates and returns the configuration without starting anything. */
    public ProducerConfig toConfig() {
      if (bootstrap == null) {
        throw new ConfigException("bootstrap.servers", null, "required");
      }
      int ackValue = parseAcks(acks);
      // As in Kafka: idempotence is on by default, but quietly off when acks says otherwise
      // and nobody asked for it explicitly.
      boolean idem = idempotence != null ? idempotence : ackValue == -1 && maxInFlight <= 5;
      return new ProducerConfig(
          HostPort.parseList("bootstrap.servers", bootstrap),
          clientId,
          ackValue,
          batchSize,
          lingerMs,
          bufferMemory,
          maxBlockMs,
          compression,
          retries,
          retryBackoffMs,
          deliveryTimeoutMs,
          requestTimeoutMs,
          idem,
          maxInFlight,
          maxRequestSize);
    }

    static int parseAcks(String acks) {
      if (acks == null) {
        throw new ConfigException("acks", null, "must be all, -1, 1 or 0");
      }
      switch (acks.trim().toLowerCase()) {
        case "all":
        case "-1":
          return -1;
        case "1":
          return 1;
        case "0":
          return 0;
        default:
          throw new ConfigException("acks", acks, "must be all, -1, 1 or 0");
      }
    }
  }
}
