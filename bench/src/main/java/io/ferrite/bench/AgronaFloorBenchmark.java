package io.ferrite.bench;

import java.nio.file.Path;

/**
 * The append floor ({@link AgronaFloorAppender}): copy + CRC32C into a preallocated mapped file. Every
 * Ferrite append figure is read against this one, measured in the same run.
 * <p>
 * Two methods run the same append so each mode gets a readable unit: {@code throughput} in ops/s and
 * {@code latency} as a sampled distribution in ns (SampleTime times single invocations, so its
 * percentiles include the timer's own cost, about 20–30 ns here).
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
public class AgronaFloorBenchmark extends AppendBenchmark
{
    @Override
    protected String storeName()
    {
        return "floor";
    }

    @Override
    protected AppendTarget open(final Path directory, final byte[] payload)
    {
        return new AgronaFloorAppender(directory, payload);
    }
}
