package io.ferrite.tools;

import java.io.PrintWriter;
import java.util.function.LongFunction;

/**
 * A one-line progress bar on stderr, redrawn with a carriage return each time the whole percentage changes — at most
 * 101 redraws however long the job, so it is cheap to call from a hot loop ({@link #update} is one compare until the
 * next percent is reached) and its output is deterministic.
 * <p>
 * Redraws are for a person watching a terminal: written to a log (CI, a pipe, a file) every carriage return becomes
 * noise, so there the bar stays silent until {@link #finish()} prints its last state once, as a plain line.
 * <p>
 * Not thread-safe: one job, one thread.
 */
final class ProgressBar
{
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean redraw;
    private final LongFunction<String> units;
    private long nextRedrawAt;
    private int drawnPercent = -1;
    private boolean finished;

    /**
     * @return a bar that redraws only when this JVM's standard streams are a terminal.
     */
    static ProgressBar onStderr(
        final PrintWriter err, final String label, final long total, final LongFunction<String> units)
    {
        return new ProgressBar(err, label, total, units, null != System.console());
    }

    /**
     * @param units  formats amounts, e.g. {@link Units#bytes(long)} or {@link Units#count(long)}.
     * @param redraw whether to draw as the job goes (a terminal), or only once at {@link #finish()} (a log).
     */
    ProgressBar(
        final PrintWriter err, final String label, final long total, final LongFunction<String> units,
        final boolean redraw)
    {
        this.err = err;
        this.label = label;
        this.total = Math.max(0, total);
        this.units = units;
        this.redraw = redraw;
        if (redraw)
        {
            draw(0);
        }
    }

    void update(final long done)
    {
        if (redraw && done >= nextRedrawAt && !finished)
        {
            draw(Math.min(done, total));
        }
    }

    /**
     * Draw 100 % and end the line.
     */
    void finish()
    {
        if (!finished)
        {
            if (!redraw)
            {
                err.println(line(total));
            }
            else
            {
                if (drawnPercent != 100)
                {
                    draw(total);
                }
                err.println();
            }
            err.flush();
            finished = true;
        }
    }

    private void draw(final long done)
    {
        final int percent = percent(done);
        err.print("\r" + line(done));
        err.flush();
        drawnPercent = percent;
        // the smallest amount that shows the next whole percent: ceil((percent + 1) * total / 100)
        nextRedrawAt = total == 0 ? Long.MAX_VALUE : ((percent + 1) * total + 99) / 100;
    }

    private int percent(final long done)
    {
        return total == 0 ? 100 : (int)(done * 100 / total);
    }

    private String line(final long done)
    {
        final int percent = percent(done);
        final int filled = percent * WIDTH / 100;
        return label + " [" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " +
            Units.format("%3d%%", percent) + "  " + units.apply(done) + " / " + units.apply(total);
    }
}
