package io.logbus.record;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;
import org.xerial.snappy.Snappy;

/**
 * Compression of a batch's records section, in the exact container formats Kafka writes and reads,
 * so that either side can decode the other's batches:
 *
 * <ul>
 *   <li>GZIP: one RFC 1952 member (JDK deflate, default level), as {@code GZIPOutputStream} writes.
 *   <li>SNAPPY: snappy-java's framed stream ({@code SnappyOutputStream}): a 16-byte header ({@code
 *       0x82 "SNAPPY" 0x00}, version 1, compatible version 1, big endian ints), then blocks of at
 *       most 32 KiB input, each as a big-endian i32 compressed length plus the raw snappy block. A
 *       section without the header is read as one raw snappy block, as {@code SnappyInputStream}
 *       does.
 *   <li>LZ4: the LZ4 frame format as Kafka's {@code KafkaLZ4BlockOutputStream} writes it: magic
 *       0x184D2204 (LE), FLG 0x60 (version 1, independent blocks, no checksums, no content size),
 *       BD 0x40 (64 KiB blocks), HC = second byte of XXH32(FLG..BD, seed 0); blocks as LE i32 size
 *       (high bit = stored uncompressed) plus data; a 0 end mark; no content checksum. Reading also
 *       accepts the optional content size, block checksums (verified) and content checksum.
 *   <li>ZSTD: one zstd frame (level 3, Kafka's default) with the content size, written in one call;
 *       reading takes any frames, streaming when the size is not recorded (Kafka's own writer).
 * </ul>
 *
 * <p>Compression writes straight into the output batch buffer after the reserved 61-byte header,
 * sized by the codec's worst-case bound, so the only copy is the compression itself. Decompression
 * produces one heap buffer sized from the container's own size information where it has some
 * (snappy/LZ4 block headers, the gzip trailer, the zstd frame header).
 *
 * <p>Decompressed sections are capped at {@link #MAX_RECORDS_SECTION_BYTES} so that a small
 * malicious batch cannot expand into an out-of-memory error on the broker; the builder refuses to
 * produce larger sections. Stateless; thread-safe (codec objects from lz4-java are thread-safe).
 */
final class RecordsCompression {
  private RecordsCompression() {}

  /** Largest uncompressed records section accepted by the reader and produced by the builder. */
  static final int MAX_RECORDS_SECTION_BYTES = 256 << 20;

  static final int ZSTD_LEVEL = 3;

  private static final int HEADER = RecordBatchFormat.RECORD_BATCH_OVERHEAD;

  // gzip (RFC 1952): magic, CM=8 (deflate), no flags, mtime 0, XFL 0, OS 255 (unknown).
  private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
  private static final int GZIP_TRAILER = 8;

  // snappy-java framing (SnappyCodec / SnappyOutputStream).
  private static final byte[] SNAPPY_MAGIC = {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  private static final int SNAPPY_HEADER = SNAPPY_MAGIC.length + 8;
  private static final int SNAPPY_VERSION = 1;
  private static final int SNAPPY_BLOCK = 32 * 1024;

  // LZ4 frame as KafkaLZ4BlockOutputStream writes it.
  private static final int LZ4_MAGIC = 0x184D2204;
  private static final byte LZ4_FLG = 0x60;
  private static final byte LZ4_BD = 0x40;
  private static final int LZ4_BLOCK = 64 * 1024;
  private static final int LZ4_FRAME_HEADER = 7;
  private static final int LZ4_UNCOMPRESSED_MASK = 0x80000000;
  private static final LZ4Compressor LZ4_COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();
  private static final LZ4SafeDecompressor LZ4_DECOMPRESSOR =
      LZ4Factory.fastestInstance().safeDecompressor();
  private static final XXHash32 XXHASH32 = XXHashFactory.fastestInstance().hash32();

  /**
   * A batch buffer with the header bytes reserved (zero) and {@code raw[0, length)} compressed
   * after them; position 0, limit = header + compressed size.
   */
  static ByteBuffer compress(CompressionType type, byte[] raw, int length) {
    try {
      switch (type) {
        case GZIP:
          return gzip(raw, length);
        case SNAPPY:
          return snappy(raw, length);
        case LZ4:
          return lz4(raw, length);
        case ZSTD:
          return zstd(raw, length);
        default:
          throw new IllegalArgumentException("not a compression codec: " + type);
      }
    } catch (IOException e) {
      // Only snappy declares IOException, for a native failure on valid input: a bug, not data.
      throw new IllegalStateException(type + " compression failed", e);
    }
  }

  private static ByteBuffer gzip(byte[] raw, int length) {
    // zlib's deflateBound for the default settings, plus the gzip header and trailer.
    long bound = (long) length + (length >> 12) + (length >> 14) + (length >> 25) + 13 + 64;
    byte[] out = new byte[checkedSize(HEADER + GZIP_HEADER.length + bound + GZIP_TRAILER)];
    System.arraycopy(GZIP_HEADER, 0, out, HEADER, GZIP_HEADER.length);
    int position = HEADER + GZIP_HEADER.length;
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    try {
      deflater.setInput(raw, 0, length);
      deflater.finish();
      while (!deflater.finished()) {
        if (position == out.length - GZIP_TRAILER) {
          out = Arrays.copyOf(out, checkedSize(2L * out.length));
        }
        position += deflater.deflate(out, position, out.length - GZIP_TRAILER - position);
      }
    } finally {
      deflater.end();
    }
    CRC32 crc = new CRC32();
    crc.update(raw, 0, length);
    putIntLe(out, position, (int) crc.getValue());
    putIntLe(out, position + 4, length);
    return ByteBuffer.wrap(out, 0, position + GZIP_TRAILER).slice();
  }

  private static ByteBuffer snappy(byte[] raw, int length) throws IOException {
    int blocks = (length + SNAPPY_BLOCK - 1) / SNAPPY_BLOCK;
    long bound = SNAPPY_HEADER + (long) blocks * (4 + Snappy.maxCompressedLength(SNAPPY_BLOCK));
    byte[] out = new byte[checkedSize(HEADER + bound)];
    int position = HEADER;
    System.arraycopy(SNAPPY_MAGIC, 0, out, position, SNAPPY_MAGIC.length);
    position += SNAPPY_MAGIC.length;
    putIntBe(out, position, SNAPPY_VERSION);
    putIntBe(out, position + 4, SNAPPY_VERSION);
    position += 8;
    for (int offset = 0; offset < length; offset += SNAPPY_BLOCK) {
      int blockLength = Math.min(SNAPPY_BLOCK, length - offset);
      int compressed = Snappy.compress(raw, offset, blockLength, out, position + 4);
      putIntBe(out, position, compressed);
      position += 4 + compressed;
    }
    return ByteBuffer.wrap(out, 0, position).slice();
  }

  private static ByteBuffer lz4(byte[] raw, int length) {
    int blocks = (length + LZ4_BLOCK - 1) / LZ4_BLOCK;
    long bound =
        LZ4_FRAME_HEADER + (long) blocks * (4 + LZ4_COMPRESSOR.maxCompressedLength(LZ4_BLOCK)) + 4;
    byte[] out = new byte[checkedSize(HEADER + bound)];
    int position = HEADER;
    putIntLe(out, position, LZ4_MAGIC);
    out[position + 4] = LZ4_FLG;
    out[position + 5] = LZ4_BD;
    out[position + 6] = (byte) ((XXHASH32.hash(out, position + 4, 2, 0) >> 8) & 0xff);
    position += LZ4_FRAME_HEADER;
    for (int offset = 0; offset < length; offset += LZ4_BLOCK) {
      int blockLength = Math.min(LZ4_BLOCK, length - offset);
      int compressed =
          LZ4_COMPRESSOR.compress(
              raw, offset, blockLength, out, position + 4, out.length - position - 4);
      if (compressed >= blockLength) {
        // Incompressible: store as is, as Kafka does.
        System.arraycopy(raw, offset, out, position + 4, blockLength);
        putIntLe(out, position, blockLength | LZ4_UNCOMPRESSED_MASK);
        position += 4 + blockLength;
      } else {
        putIntLe(out, position, compressed);
        position += 4 + compressed;
      }
    }
    putIntLe(out, position, 0); // end mark
    position += 4;
    return ByteBuffer.wrap(out, 0, position).slice();
  }

  private static ByteBuffer zstd(byte[] raw, int length) {
    byte[] out = new byte[checkedSize(HEADER + Zstd.compressBound(length))];
    long result =
        Zstd.compressByteArray(out, HEADER, out.length - HEADER, raw, 0, length, ZSTD_LEVEL);
    if (Zstd.isError(result)) {
      throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(result));
    }
    return ByteBuffer.wrap(out, 0, HEADER + (int) result).slice();
  }

  private static int checkedSize(long size) {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("compressed batch bound " + size + " exceeds 2 GiB");
    }
    return (int) size;
  }

  /**
   * The decompressed records section of a batch: a heap buffer, position 0, limit = its size.
   *
   * @param compressed the section's bytes from position to limit
   * @param batchName for error messages
   * @throws InvalidRecordException if the bytes are not a valid stream of this codec or expand
   *     beyond {@link #MAX_RECORDS_SECTION_BYTES}
   */
  static ByteBuffer decompress(CompressionType type, ByteBuffer compressed, String batchName) {
    byte[] in;
    int offset;
    int length = compressed.remaining();
    if (compressed.hasArray()) {
      in = compressed.array();
      offset = compressed.arrayOffset() + compressed.position();
    } else {
      // Direct or read-only buffers (a mapped segment): one copy to reach the codecs' array APIs.
      in = new byte[length];
      compressed.duplicate().get(in);
      offset = 0;
    }
    Output out = new Output(batchName, type);
    try {
      switch (type) {
        case GZIP:
          unGzip(in, offset, length, out);
          break;
        case SNAPPY:
          unSnappy(in, offset, length, out);
          break;
        case LZ4:
          unLz4(in, offset, length, out);
          break;
        case ZSTD:
          unZstd(in, offset, length, out);
          break;
        default:
          throw new IllegalArgumentException("not a compression codec: " + type);
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidRecordException) {
        throw (InvalidRecordException) e;
      }
      throw new InvalidRecordException(
          batchName + ": cannot decompress the " + type.name + " records section: " + e, e);
    }
    return ByteBuffer.wrap(out.bytes, 0, out.size).slice();
  }

  private static void unGzip(byte[] in, int offset, int length, Output out) throws IOException {
    // ISIZE, the trailer's last 4 bytes, is the input size mod 2^32: a good first guess.
    int guess = length >= 18 ? getIntLe(in, offset + length - 4) : 0;
    // Deflate expands at most ~1032:1, so a larger ISIZE is a lie: don't allocate for it.
    boolean plausible = guess > 0 && guess <= MAX_RECORDS_SECTION_BYTES && guess <= 1032L * length;
    out.ensure(plausible ? guess : 4 * length);
    try (InputStream gzip = new GZIPInputStream(new ByteArrayInputStream(in, offset, length))) {
      out.readFully(gzip);
    }
  }

  private static void unSnappy(byte[] in, int offset, int length, Output out) throws IOException {
    int end = offset + length;
    if (!startsWith(in, offset, end, SNAPPY_MAGIC)) {
      // No framing: one raw snappy block, as SnappyInputStream falls back to.
      appendSnappyBlock(in, offset, length, out);
      return;
    }
    int position = offset;
    while (position < end) {
      if (startsWith(in, position, end, SNAPPY_MAGIC)) {
        // A (possibly concatenated) stream header: magic, version, compatible version.
        if (end - position < SNAPPY_HEADER) {
          throw new IOException("truncated snappy stream header at " + (position - offset));
        }
        int compatible = getIntBe(in, position + SNAPPY_MAGIC.length + 4);
        if (compatible > SNAPPY_VERSION) {
          throw new IOException("snappy stream needs version " + compatible);
        }
        position += SNAPPY_HEADER;
        continue;
      }
      if (end - position < 4) {
        throw new IOException("truncated snappy block length at " + (position - offset));
      }
      int blockLength = getIntBe(in, position);
      position += 4;
      if (blockLength < 0 || blockLength > end - position) {
        throw new IOException(
            "snappy block length "
                + blockLength
                + " at "
                + (position - 4 - offset)
                + " exceeds the "
                + (end - position)
                + " bytes left");
      }
      appendSnappyBlock(in, position, blockLength, out);
      position += blockLength;
    }
  }

  private static void appendSnappyBlock(byte[] in, int offset, int length, Output out)
      throws IOException {
    int uncompressed = Snappy.uncompressedLength(in, offset, length);
    out.ensure(uncompressed);
    out.size += Snappy.uncompress(in, offset, length, out.bytes, out.size);
  }

  private static void unLz4(byte[] in, int offset, int length, Output out) throws IOException {
    int end = offset + length;
    if (length < LZ4_FRAME_HEADER || getIntLe(in, offset) != LZ4_MAGIC) {
      throw new IOException("not an LZ4 frame (bad magic or shorter than 7 bytes)");
    }
    int flg = in[offset + 4] & 0xff;
    int bd = in[offset + 5] & 0xff;
    if ((flg >>> 6) != 1 || (flg & 0x03) != 0 || (flg & 0x20) == 0) {
      throw new IOException(
          String.format(
              "unsupported LZ4 frame flags 0x%02x (need version 1, independent blocks)", flg));
    }
    int blockSizeId = (bd >>> 4) & 0x07;
    if ((bd & 0x8f) != 0 || blockSizeId < 4) {
      throw new IOException(String.format("bad LZ4 block descriptor 0x%02x", bd));
    }
    int maxBlock = 1 << (2 * blockSizeId + 8);
    boolean contentSize = (flg & 0x08) != 0;
    boolean blockChecksum = (flg & 0x10) != 0;
    boolean contentChecksum = (flg & 0x04) != 0;
    int descriptorLength = 2 + (contentSize ? 8 : 0);
    int position = offset + 4 + descriptorLength;
    if (position >= end) {
      throw new IOException("truncated LZ4 frame descriptor");
    }
    int expectedHc = (XXHASH32.hash(in, offset + 4, descriptorLength, 0) >> 8) & 0xff;
    int hc = in[position++] & 0xff;
    if (hc != expectedHc) {
      throw new IOException(
          String.format("LZ4 descriptor checksum 0x%02x, expected 0x%02x", hc, expectedHc));
    }
    while (true) {
      if (end - position < 4) {
        throw new IOException("LZ4 frame ends without an end mark");
      }
      int word = getIntLe(in, position);
      position += 4;
      if (word == 0) {
        if (contentChecksum && end - position < 4) {
          throw new IOException("LZ4 frame ends before its content checksum");
        }
        return; // like Kafka's reader: the content checksum, if any, is not verified
      }
      boolean stored = (word & LZ4_UNCOMPRESSED_MASK) != 0;
      int blockLength = word & ~LZ4_UNCOMPRESSED_MASK;
      if (blockLength > maxBlock || blockLength > end - position) {
        throw new IOException(
            "LZ4 block of "
                + blockLength
                + " bytes at "
                + (position - 4 - offset)
                + " exceeds the block maximum "
                + maxBlock
                + " or the "
                + (end - position)
                + " bytes left");
      }
      if (blockChecksum) {
        if (end - position - blockLength < 4) {
          throw new IOException("LZ4 block ends before its checksum");
        }
        int expected = XXHASH32.hash(in, position, blockLength, 0);
        if (getIntLe(in, position + blockLength) != expected) {
          throw new IOException("LZ4 block checksum mismatch at " + (position - 4 - offset));
        }
      }
      if (stored) {
        out.ensure(blockLength);
        System.arraycopy(in, position, out.bytes, out.size, blockLength);
        out.size += blockLength;
      } else {
        out.ensure(maxBlock);
        try {
          out.size +=
              LZ4_DECOMPRESSOR.decompress(in, position, blockLength, out.bytes, out.size, maxBlock);
        } catch (LZ4Exception e) {
          throw new IOException("bad LZ4 block at " + (position - 4 - offset) + ": " + e, e);
        }
      }
      position += blockLength + (blockChecksum ? 4 : 0);
    }
  }

  private static void unZstd(byte[] in, int offset, int length, Output out) throws IOException {
    long contentSize = Zstd.getFrameContentSize(in, offset, length);
    // A zstd block expands at most 32768:1 (an RLE block); a larger claimed size is a lie.
    if (contentSize >= 0
        && contentSize <= MAX_RECORDS_SECTION_BYTES
        && contentSize <= 32768L * length) {
      out.ensure((int) contentSize);
      long result;
      try {
        result = Zstd.decompressByteArray(out.bytes, 0, out.bytes.length, in, offset, length);
      } catch (ZstdException e) {
        result = -1; // e.g. "Destination buffer is too small": more frames follow
      }
      if (result == contentSize) {
        out.size = (int) result;
        return;
      }
      // Several frames, or a lying header: decode as a stream, which checks as it goes.
    }
    out.size = 0;
    out.ensure(4 * length);
    try (InputStream zstd =
        new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(in, offset, length))) {
      out.readFully(zstd);
    }
  }

  private static boolean startsWith(byte[] in, int position, int end, byte[] prefix) {
    if (end - position < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (in[position + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static void putIntLe(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }

  private static int getIntLe(byte[] b, int at) {
    return (b[at] & 0xff)
        | (b[at + 1] & 0xff) << 8
        | (b[at + 2] & 0xff) << 16
        | (b[at + 3] & 0xff) << 24;
  }

  private static void putIntBe(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  private static int getIntBe(byte[] b, int at) {
    return (b[at] & 0xff) << 24
        | (b[at + 1] & 0xff) << 16
        | (b[at + 2] & 0xff) << 8
        | (b[at + 3] & 0xff);
  }

  /** A growable decompression target bounded by {@link #MAX_RECORDS_SECTION_BYTES}. */
  private static final class Output {
    private final String batchName;
    private final CompressionType type;
    byte[] bytes = new byte[0];
    int size;

    Output(String batchName, CompressionType type) {
      this.batchName = batchName;
      this.type = type;
    }

    void ensure(int extra) {
      long needed = (long) size + extra;
      if (needed > MAX_RECORDS_SECTION_BYTES) {
        throw new InvalidRecordException(
            batchName
                + ": the "
                + type.name
                + " records section expands beyond the "
                + MAX_RECORDS_SECTION_BYTES
                + "-byte limit");
      }
      if (needed > bytes.length) {
        long grown = Math.max(needed, Math.min(2L * bytes.length, MAX_RECORDS_SECTION_BYTES));
        bytes = Arrays.copyOf(bytes, (int) grown);
      }
    }

    void readFully(InputStream in) throws IOException {
      while (true) {
        if (size == bytes.length) {
          ensure(Math.max(1024, bytes.length)); // doubles, or fails at the cap
        }
        int n = in.read(bytes, size, bytes.length - size);
        if (n < 0) {
          return;
        }
        size += n;
      }
    }
  }
}
