package io.ferrite.engine;

import java.util.function.Consumer;

/**
 * Lets tests outside this package listen to the steps of a reclaim ({@code FileStreamStore.reclaimSteps}), which
 * stays package-private in the engine: it is a test seam, not API.
 */
public final class ReclaimSeam
{
    private ReclaimSeam()
    {
    }

    /**
     * @param listener told each step of a reclaim as it completes, on the thread doing it, under the maintenance lock
     *                 ({@link FileStreamStore#whileQuiescent} waits for it).
     */
    public static void steps(final FileStreamStore store, final Consumer<ReclaimStep> listener)
    {
        store.reclaimSteps(listener);
    }
}
