package io.ferrite.bench;

import java.nio.file.Path;

/**
 * Chronicle Bytes' raw {@code MappedBytes} append ({@link ChronicleBytesAppender}): the layer under
 * Chronicle Queue, over a preallocated file that wraps like the floor's. Read against
 * {@link AgronaFloorBenchmark} it shows what Chronicle's checked copy costs; read against
 * {@link ChronicleQueueAppendBenchmark} it shows what the queue adds on top.
 * <p>
 * Two methods run the same append so each mode gets a readable unit (ops/s and ns). JMH subclasses
 * benchmark classes, so this one cannot be final.
 */
public class ChronicleBytesAppendBenchmark extends AppendBenchmark
{
    @Override
    protected String storeName()
    {
        return "chronicle-bytes";
    }

    @Override
    protected AppendTarget open(final Path directory, final byte[] payload)
    {
        return new ChronicleBytesAppender(directory, payload);
    }
}
