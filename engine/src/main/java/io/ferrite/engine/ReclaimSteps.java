package io.ferrite.engine;

import io.ferrite.engine.flush.AsyncFlusher;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * What the two reclaim protocols share: the test seam told each {@link ReclaimStep}, and the wait before block files
 * change for the forces that make the removals behind the change durable.
 * <p>
 * Threading: {@link #listener} from any thread; the rest on the thread running a pass, under the maintenance lock.
 */
final class ReclaimSteps
{
    private final AsyncFlusher durability;
    private volatile Consumer<ReclaimStep> listener = (step) -> {};

    ReclaimSteps(final AsyncFlusher durability)
    {
        this.durability = durability;
    }

    void listener(final Consumer<ReclaimStep> listener)
    {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    void reached(final ReclaimStep step)
    {
        listener.accept(step);
    }

    /**
     * Before block files change: wait for a force when tombstones were just rehomed, when the tombstones that removed
     * the leaving records ({@code removalsWritten}, read under the append lock with them) are not forced yet, or when
     * a block file that stays is not yet forced ({@code unforcedFile}). A force asked for now covers them all. In
     * {@code INTERVAL} and {@code NONE} the purge's own force usually has by the time the pass runs, and nothing waits
     * here.
     */
    void awaitForced(
        final boolean rehomed, final long removalsWritten, final boolean unforcedFile, final ReclaimStep step)
    {
        if (rehomed || unforcedFile || durability.forcedWritten() < removalsWritten)
        {
            reached(step);
            durability.flushAndWait();
        }
    }
}
