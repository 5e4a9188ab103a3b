package io.ferrite.engine.environment;

import io.ferrite.engine.agent.AgentSlot;
import io.ferrite.engine.agent.AgentWakeUp;
import io.ferrite.engine.metrics.HistogramLog;
import io.ferrite.engine.metrics.StoreMetrics;
import org.HdrHistogram.HistogramLogWriter;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;

import java.nio.file.Path;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * One HdrHistogram log for every stream of an environment: an agent on the environment's flusher thread that writes,
 * every period, each stream's interval histograms tagged {@code <stream>/<metric>}, so one file (and one file handle)
 * serves any number of streams and {@code HistogramLogReader} users tell them apart by tag.
 * <p>
 * A stream is {@link #add}ed once open and stays until an interval written after its close ended: everything it
 * recorded reaches the log. A stream opened again after a close is added again (two sources under one name for at
 * most one interval, both tagged the same: a reader adds them up). The last interval is written and the file closed
 * when the agent leaves its thread (the environment's close).
 * <p>
 * Threading: {@link #add} from any thread; the rest on the flusher thread (the log itself has one writer).
 */
public final class EnvironmentHistogramLog implements Agent
{
    /** The tag's separator: stream names never hold it, metric names never start with it. */
    public static final char TAG_SEPARATOR = '/';

    private final CopyOnWriteArrayList<Source> sources = new CopyOnWriteArrayList<>();
    private final AgentSlot slot;
    private final AgentWakeUp wakeUp;
    private final HistogramLog log;

    private EnvironmentHistogramLog(final AgentSlot slot, final Path file, final long periodNanos)
    {
        this.slot = slot;
        this.wakeUp = slot.wakeUp();
        this.log = new HistogramLog(file, periodNanos, this::write);
    }

    /**
     * Open (replace) {@code file} and start writing it every {@code periodNanos} on {@code slot}'s thread.
     *
     * @return the running log; {@link #slot()} closed takes it off its thread, writing the last interval.
     * @throws io.ferrite.store.StoreIOException naming the file when it cannot be opened.
     */
    public static EnvironmentHistogramLog start(final AgentSlot slot, final Path file, final long periodNanos)
    {
        final EnvironmentHistogramLog agent = new EnvironmentHistogramLog(slot, file, periodNanos);
        try
        {
            slot.start(agent);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.close(ex::addSuppressed, agent.log);
            throw ex;
        }
        return agent;
    }

    /**
     * @return the slot it runs in: closing it writes the last interval and closes the file.
     */
    public AgentSlot slot()
    {
        return slot;
    }

    /**
     * Log stream {@code name}'s metrics from the next interval on.
     *
     * @param released whether the stream's close ended: nothing is recorded any more, so once an interval written
     *                 after that is out the stream is dropped.
     */
    public void add(final String name, final StoreMetrics metrics, final BooleanSupplier released)
    {
        sources.add(new Source(name + TAG_SEPARATOR, metrics, released));
    }

    /**
     * @return the streams logged now, for tests.
     */
    public int sourceCount()
    {
        return sources.size();
    }

    @Override
    public int doWork()
    {
        final long before = log.nextWriteNanos();
        final long now = System.nanoTime();
        log.maybeWrite(now);
        final long next = log.nextWriteNanos();
        if (next != Long.MAX_VALUE)
        {
            // Timers are forgotten once the agent runs: named again every cycle.
            wakeUp.wakeAt(next);
        }
        return before == next ? 0 : 1;
    }

    @Override
    public void onClose()
    {
        log.close();
    }

    @Override
    public String roleName()
    {
        return "environment-histogram-log";
    }

    private void write(final HistogramLogWriter writer, final long startMillis, final long endMillis)
    {
        for (final Source source : sources)
        {
            // Read before the write: a stream released by then recorded everything it will, so it is all written.
            final boolean released = source.released().getAsBoolean();
            source.metrics().writeIntervals(writer, startMillis, endMillis, source.tagPrefix());
            if (released)
            {
                sources.remove(source);
            }
        }
    }

    private record Source(String tagPrefix, StoreMetrics metrics, BooleanSupplier released)
    {
    }
}
