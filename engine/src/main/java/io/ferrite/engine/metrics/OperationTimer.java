package io.ferrite.engine.metrics;

import org.HdrHistogram.Recorder;
import org.slf4j.Logger;

import java.util.Locale;

/**
 * Times one stall-prone operation phase by phase: each phase and the total go into their own HdrHistogram
 * {@link Recorder} (made on its first value, {@link LazyRecorder}), and a run slower than the threshold logs one
 * warning that names every phase, e.g.
 * {@code writeFullState took 120.4 ms (serialize 0.2, write 1.1, fsync 118.7, rename 0.4)}.
 * <p>
 * Threading: recorders are wait-free for any number of writers; one {@link Run} belongs to one thread.
 */
public final class OperationTimer
{
    /** Values are nanos; three significant digits keeps each recorder a few tens of KiB. */
    private static final int SIGNIFICANT_DIGITS = 3;

    private final String operation;
    private final String[] phases;
    private final LazyRecorder total = new LazyRecorder(SIGNIFICANT_DIGITS, true);
    private final LazyRecorder[] phaseRecorders;
    private final long slowThresholdNanos;
    private final Logger log;

    public OperationTimer(final String operation, final long slowThresholdNanos, final Logger log,
        final String... phases)
    {
        this.operation = operation;
        this.phases = phases.clone();
        this.slowThresholdNanos = slowThresholdNanos;
        this.log = log;
        this.phaseRecorders = new LazyRecorder[phases.length];
        for (int i = 0; i < phases.length; i++)
        {
            phaseRecorders[i] = new LazyRecorder(SIGNIFICANT_DIGITS, true);
        }
    }

    public String operation()
    {
        return operation;
    }

    public String phaseName(final int phase)
    {
        return phases[phase];
    }

    public int phaseCount()
    {
        return phases.length;
    }

    LazyRecorder totalRecorder()
    {
        return total;
    }

    LazyRecorder phaseRecorder(final int phase)
    {
        return phaseRecorders[phase];
    }

    public Run start()
    {
        return new Run();
    }

    /**
     * One timed execution. Call {@link #endPhase(int)} as each phase finishes, then {@link #finish(String)}.
     */
    public final class Run
    {
        private final long[] phaseNanos = new long[phases.length];
        private final long startNanos = System.nanoTime();
        private long markNanos = startNanos;

        public void endPhase(final int phase)
        {
            final long now = System.nanoTime();
            phaseNanos[phase] += now - markNanos;
            markNanos = now;
        }

        /**
         * @param detail appended to a slow-operation warning (e.g. the file or the block count), may be empty.
         * @return the total nanos.
         */
        public long finish(final String detail)
        {
            final long totalNanos = System.nanoTime() - startNanos;
            total.recordValue(totalNanos);
            for (int i = 0; i < phaseNanos.length; i++)
            {
                phaseRecorders[i].recordValue(phaseNanos[i]);
            }
            if (totalNanos > slowThresholdNanos)
            {
                log.warn("{}", describe(totalNanos, detail));
            }
            return totalNanos;
        }

        String describe(final long totalNanos, final String detail)
        {
            final StringBuilder sb =
                new StringBuilder(operation).append(" took ").append(millis(totalNanos)).append(" ms (");
            for (int i = 0; i < phases.length; i++)
            {
                sb.append(i == 0 ? "" : ", ").append(phases[i]).append(' ').append(millis(phaseNanos[i]));
            }
            sb.append(')');
            if (!detail.isEmpty())
            {
                sb.append(' ').append(detail);
            }
            return sb.toString();
        }
    }

    private static String millis(final long nanos)
    {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }
}
