package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamView;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A timed main (not JMH: it is run against two builds of the engine, before and after a change) for what opening a
 * read-only view costs on a large stream (issue 15): {@code openReadOnly}, then a tailer from near the end up to its
 * first message, then {@code state()} (which indexes everything). Each is timed over fresh views, median of the
 * runs, on a stream written once and closed; its files stay in the page cache, so the figures are CPU (checksums),
 * mapping and system calls, not disk reads.
 * <p>
 * Arguments: {@code megabytes} (default 300), {@code runs} (default 5), {@code directory} (default a new temporary
 * one; an existing stream there of at least that size is reused).
 */
public final class ViewOpenTimer
{
    private ViewOpenTimer()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        final int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        final Path dir = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("ferrite-view-open");
        final long lastSeq = write(dir, megabytes);
        final long[] open = new long[runs];
        final long[] firstPoll = new long[runs];
        final long[] state = new long[runs];
        long msgs = 0;
        for (int r = 0; r < runs; r++)
        {
            final long start = System.nanoTime();
            try (StreamView view = FileStreamStore.openReadOnly(dir))
            {
                final long opened = System.nanoTime();
                open[r] = opened - start;
                try (StreamTailer tailer = view.createTailer(lastSeq - 100))
                {
                    final int got = tailer.poll((message) -> { }, 1);
                    if (got != 1)
                    {
                        throw new IllegalStateException("tailer near the end of " + dir + " got " + got);
                    }
                }
                final long polled = System.nanoTime();
                firstPoll[r] = polled - opened;
                msgs = view.state().msgs();
                state[r] = System.nanoTime() - polled;
            }
        }
        System.out.printf("stream %d MB, %d messages, %d runs (median ms): open %.2f, tailer near end to first " +
            "message %.2f, then state() %.2f%n", megabytes, msgs, runs, median(open), median(firstPoll),
            median(state));
    }

    private static long write(final Path dir, final int megabytes)
    {
        final StreamConfig config = StreamConfig.builder("view-open").build();
        final byte[] payload = Payloads.random(1024);
        final long target = (long)megabytes << 20;
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            while (store.state().bytes() < target)
            {
                for (int i = 0; i < 1024; i++)
                {
                    store.append("bench.view.open", null, payload);
                }
            }
            return store.lastSeq();
        }
    }

    private static double median(final long[] nanos)
    {
        final long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }
}
