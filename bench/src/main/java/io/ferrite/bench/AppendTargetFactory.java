package io.ferrite.bench;

import java.nio.file.Path;

/**
 * Opens an {@link AppendTarget}; implemented by each target's constructor ({@code AgronaFloorAppender::new}),
 * so adding a store to the benchmarks and the latency harness is one new class.
 */
@FunctionalInterface
public interface AppendTargetFactory
{
    /**
     * @param directory an empty directory the target owns until it is closed.
     * @param payload   the bytes every append writes; the target may keep a reference or copy it.
     * @return the opened target, ready to append.
     */
    AppendTarget open(Path directory, byte[] payload);
}
