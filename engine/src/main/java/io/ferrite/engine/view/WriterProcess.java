package io.ferrite.engine.view;

import io.ferrite.engine.index.StreamPositions;
import io.ferrite.engine.state.ProcessIdentity;
import io.ferrite.format.PositionsDescriptor;

/**
 * Whether the writer a positions area names runs, as a view and the tools ask it: one consistent look at who writes
 * (the seqlock {@link PositionsDescriptor} describes), then the process behind it ({@link ProcessIdentity}: its id,
 * and where the writer stored them its start and boot id). Asking reads {@code /proc}: not for a hot path.
 */
final class WriterProcess
{
    /** {@link #state} of a writer whose process does not run. */
    static final int GONE = 0;

    private WriterProcess()
    {
    }

    /**
     * @return the writer state ({@link PositionsDescriptor#STATE_RECOVERING}, {@code STATE_OPEN},
     * {@code STATE_CLOSED}) when the writer's process runs, {@link #GONE} when it does not.
     */
    static int state(final StreamPositions positions)
    {
        while (true)
        {
            final long epoch = positions.epoch();
            final long keptBy = positions.identityKeptBy();
            final long pid = positions.writerPid();
            final long start = positions.writerStart();
            final long bootHigh = positions.bootIdHigh();
            final long bootLow = positions.bootIdLow();
            final int state = positions.writerState();
            if (positions.identityKeptBy() == keptBy && positions.epoch() == epoch)
            {
                // Fields another epoch stored (a writer from before them leaves a newer one's) are not this writer's.
                final boolean own = keptBy == epoch;
                final long unknown = ProcessIdentity.UNKNOWN;
                final boolean runs = ProcessIdentity.runs(
                    pid, own ? start : unknown, own ? bootHigh : unknown, own ? bootLow : unknown);
                return runs ? state : GONE;
            }
            // A writer opened between the loads: they may mix two writers' fields, so look at the new one.
        }
    }
}
