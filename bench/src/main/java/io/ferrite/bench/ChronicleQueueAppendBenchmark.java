package io.ferrite.bench;

import java.nio.file.Path;

/**
 * The peer Ferrite's append is judged against ({@link ChronicleQueueAppender}): one excerpt per call,
 * written from preallocated native memory. The design target is at least 2× this throughput at 128 B,
 * measured in the same run.
 * <p>
 * A fresh queue per iteration: Chronicle's cycle file only grows, and at 4 KiB payloads one trial would
 * otherwise leave gigabytes behind; creating it is setup, outside the measurement.
 * <p>
 * Two methods run the same append so each mode gets a readable unit (ops/s and ns). JMH subclasses
 * benchmark classes, so this one cannot be final.
 */
public class ChronicleQueueAppendBenchmark extends AppendBenchmark
{
    @Override
    protected String storeName()
    {
        return "chronicle-queue";
    }

    @Override
    protected AppendTarget open(final Path directory, final byte[] payload)
    {
        return new ChronicleQueueAppender(directory, payload);
    }
}
