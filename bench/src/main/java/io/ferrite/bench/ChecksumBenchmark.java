package io.ferrite.bench;

import net.openhft.hashing.LongHashFunction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * Chooses the record checksum: JDK {@link CRC32C} (a HotSpot intrinsic using the SSE4.2 {@code crc32}
 * instruction) against xxHash64 (zero-allocation-hashing, pure Java over {@code Unsafe}), both over the
 * same direct buffer, as records will be checksummed in mapped memory. XXH3 from the same library is
 * measured alongside because it is the modern successor a reviewer will ask about.
 * <p>
 * 128 B is a typical small message, where per-call setup dominates; 64 KiB is the streaming rate, which
 * bounds the cost of verifying a whole block on recovery.
 * <p>
 * Scores are ops/s with one op = one checksum of {@code length} bytes: bytes/s = score × length
 * (GB/s = score × length / 10<sup>9</sup>). A checksum result is returned so JMH cannot elide the work.
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ChecksumBenchmark extends BenchmarkDefaults
{
    /** Bytes checksummed per op. */
    @Param({ "128", "65536" })
    public int length;

    private final CRC32C crc32c = new CRC32C();
    private final LongHashFunction xxHash64 = LongHashFunction.xx();
    private final LongHashFunction xxh3 = LongHashFunction.xx3();
    private ByteBuffer buffer;

    /**
     * Fills a direct buffer once; its content does not change any of these algorithms' cost.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        buffer = ByteBuffer.allocateDirect(length);
        buffer.put(Payloads.random(length)).clear();
    }

    /**
     * @return CRC32C of the buffer.
     */
    @Benchmark
    public long crc32c()
    {
        // update(ByteBuffer) consumes the buffer; clear() only resets position and limit.
        buffer.clear();
        crc32c.reset();
        crc32c.update(buffer);
        return crc32c.getValue();
    }

    /**
     * @return xxHash64 of the buffer.
     */
    @Benchmark
    public long xxHash64()
    {
        return xxHash64.hashBytes(buffer, 0, length);
    }

    /**
     * @return XXH3 (64-bit) of the buffer.
     */
    @Benchmark
    public long xxh3()
    {
        return xxh3.hashBytes(buffer, 0, length);
    }
}
