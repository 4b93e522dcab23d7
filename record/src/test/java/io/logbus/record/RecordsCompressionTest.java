package io.logbus.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.common.compress.Lz4BlockOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xerial.snappy.SnappyInputStream;
import org.xerial.snappy.SnappyOutputStream;

/** The container formats of each codec, against the reference writers and readers. */
class RecordsCompressionTest {
  private static final int HEADER = RecordBatchFormat.RECORD_BATCH_OVERHEAD;

  /** 200 KiB of half-random, half-repetitive bytes: several blocks of every codec. */
  private static byte[] data() {
    byte[] data = new byte[200 * 1024];
    Random random = new Random(7);
    for (int i = 0; i < data.length; i += 4096) {
      if ((i / 4096) % 2 == 0) {
        byte[] chunk = new byte[4096];
        random.nextBytes(chunk);
        System.arraycopy(chunk, 0, data, i, Math.min(4096, data.length - i));
      } else {
        Arrays.fill(data, i, Math.min(i + 4096, data.length), (byte) (i / 4096));
      }
    }
    return data;
  }

  private static byte[] compressedSection(CompressionType type, byte[] raw) {
    ByteBuffer batch = RecordsCompression.compress(type, raw, raw.length);
    assertThat(batch.position()).isZero();
    return Arrays.copyOfRange(batch.array(), batch.arrayOffset() + HEADER, batch.limit());
  }

  private static byte[] decompress(CompressionType type, byte[] section) {
    ByteBuffer out = RecordsCompression.decompress(type, ByteBuffer.wrap(section), "test batch");
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    return bytes;
  }

  private static byte[] write(OutputStreamFactory factory, byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = factory.open(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }

  interface OutputStreamFactory {
    OutputStream open(OutputStream out) throws IOException;
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE"},
      mode = EnumSource.Mode.EXCLUDE)
  void roundTripsAcrossBlockBoundaries(CompressionType type) {
    byte[] raw = data();
    assertThat(decompress(type, compressedSection(type, raw))).isEqualTo(raw);
    byte[] tiny = {42};
    assertThat(decompress(type, compressedSection(type, tiny))).isEqualTo(tiny);
  }

  @Test
  void snappyFramingIsExactlySnappyOutputStreams() throws IOException {
    byte[] raw = data();
    assertThat(compressedSection(CompressionType.SNAPPY, raw))
        .isEqualTo(write(SnappyOutputStream::new, raw));
    byte[] readBack =
        new SnappyInputStream(
                new java.io.ByteArrayInputStream(compressedSection(CompressionType.SNAPPY, raw)))
            .readAllBytes();
    assertThat(readBack).isEqualTo(raw);
  }

  @Test
  void snappyReadsARawBlockWithoutFraming() throws IOException {
    byte[] raw = data();
    assertThat(decompress(CompressionType.SNAPPY, org.xerial.snappy.Snappy.compress(raw)))
        .isEqualTo(raw);
  }

  @Test
  void lz4ReadsKafkasFramesWithBlockChecksumsAndHighCompression() throws IOException {
    byte[] raw = data();
    byte[] frame = write(out -> new Lz4BlockOutputStream(out, 4, 9, true, false), raw);
    assertThat(frame[4]).isEqualTo((byte) 0x70); // FLG: version 1, independent, block checksums
    assertThat(decompress(CompressionType.LZ4, frame)).isEqualTo(raw);

    byte[] damaged = frame.clone();
    damaged[20] ^= 1;
    assertThatThrownBy(() -> decompress(CompressionType.LZ4, damaged))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("test batch")
        .hasMessageContaining("LZ4 block checksum mismatch");
  }

  @Test
  void lz4FrameHeaderIsKafkasDefault() {
    byte[] frame = compressedSection(CompressionType.LZ4, data());
    assertThat(Arrays.copyOf(frame, 6)).containsExactly(0x04, 0x22, 0x4d, 0x18, 0x60, 0x40);
    assertThat(Arrays.copyOfRange(frame, frame.length - 4, frame.length))
        .containsExactly(0, 0, 0, 0);
  }

  @Test
  void lz4RejectsABadDescriptorChecksumAndMissingEndMark() {
    byte[] frame = compressedSection(CompressionType.LZ4, data());
    byte[] badHc = frame.clone();
    badHc[6] ^= 1;
    assertThatThrownBy(() -> decompress(CompressionType.LZ4, badHc))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("LZ4 descriptor checksum");
    byte[] noEnd = Arrays.copyOf(frame, frame.length - 4);
    assertThatThrownBy(() -> decompress(CompressionType.LZ4, noEnd))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("without an end mark");
  }

  @Test
  void gzipReadsJdkStreams() throws IOException {
    byte[] raw = data();
    assertThat(decompress(CompressionType.GZIP, write(GZIPOutputStream::new, raw))).isEqualTo(raw);
  }

  @Test
  void zstdReadsStreamedFramesWithoutContentSize() throws IOException {
    byte[] raw = data();
    byte[] frame = write(ZstdOutputStreamNoFinalizer::new, raw);
    assertThat(decompress(CompressionType.ZSTD, frame)).isEqualTo(raw);
  }

  @Test
  void zstdReadsConcatenatedFrames() {
    byte[] a = compressedSection(CompressionType.ZSTD, new byte[] {1, 2, 3});
    byte[] b = compressedSection(CompressionType.ZSTD, new byte[] {4, 5});
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    assertThat(decompress(CompressionType.ZSTD, both)).containsExactly(1, 2, 3, 4, 5);
  }

  @Test
  void decompressionStopsAtTheSectionLimit() throws IOException {
    // 257 MiB of zeros compress to a few KiB: a decompression bomb for a broker.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new ZstdOutputStreamNoFinalizer(bytes)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 257; i++) {
        out.write(zeros);
      }
    }
    assertThatThrownBy(() -> decompress(CompressionType.ZSTD, bytes.toByteArray()))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("expands beyond the 268435456-byte limit");
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE"},
      mode = EnumSource.Mode.EXCLUDE)
  void truncatedSectionsAreInvalidRecords(CompressionType type) {
    byte[] section = compressedSection(type, data());
    byte[] truncated = Arrays.copyOf(section, section.length / 2);
    assertThatThrownBy(() -> decompress(type, truncated))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("test batch");
  }

  @Test
  void readsFromDirectBuffers() {
    byte[] section = compressedSection(CompressionType.LZ4, data());
    ByteBuffer direct = ByteBuffer.allocateDirect(section.length);
    direct.put(section).flip();
    ByteBuffer out = RecordsCompression.decompress(CompressionType.LZ4, direct, "direct");
    assertThat(out.remaining()).isEqualTo(data().length);
    assertThat(direct.position()).isZero();
  }
}
