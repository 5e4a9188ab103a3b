package io.ferrite.tools;

import io.ferrite.store.StreamStore;
import org.HdrHistogram.Histogram;

import java.nio.charset.StandardCharsets;

/**
 * The demo's appends: fixed-size text payloads round-robin over a few subjects, each append timed with
 * {@link System#nanoTime()} into an HdrHistogram. The loop allocates nothing: subjects are constants and the payload
 * is one array whose counter digits are rewritten in place (the store copies it on append).
 * <p>
 * Not thread-safe: one appending thread, as the demo measures single-writer latency.
 */
final class DemoWorkload
{
    static final String[] SUBJECTS = {
        "demo.orders.eu", "demo.orders.us", "demo.trades.eu", "demo.trades.us", "demo.quotes.fx" };

    private static final byte[] PREFIX = "demo message ".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGITS = 10;
    private static final byte[] FILLER =
        " the quick brown fox jumps over the lazy dog;".getBytes(StandardCharsets.US_ASCII);

    private final byte[] payload;

    DemoWorkload(final int payloadSize)
    {
        if (payloadSize < PREFIX.length + DIGITS)
        {
            throw new IllegalArgumentException("--payload-size must be at least " + (PREFIX.length + DIGITS) +
                " bytes: " + payloadSize);
        }
        payload = new byte[payloadSize];
        System.arraycopy(PREFIX, 0, payload, 0, PREFIX.length);
        for (int i = PREFIX.length + DIGITS; i < payloadSize; i++)
        {
            payload[i] = FILLER[(i - PREFIX.length - DIGITS) % FILLER.length];
        }
    }

    /**
     * Append {@code count} messages.
     *
     * @return the append latencies, in nanoseconds.
     */
    Histogram run(final StreamStore store, final long count, final ProgressBar progress)
    {
        final Histogram latency = new Histogram(3);
        for (long i = 0; i < count; i++)
        {
            writeCounter(i + 1);
            final String subject = SUBJECTS[(int)(i % SUBJECTS.length)];
            final long t0 = System.nanoTime();
            store.append(subject, null, payload);
            latency.recordValue(System.nanoTime() - t0);
            progress.update(i + 1);
        }
        return latency;
    }

    int payloadSize()
    {
        return payload.length;
    }

    private void writeCounter(final long value)
    {
        long rest = value;
        for (int i = PREFIX.length + DIGITS - 1; i >= PREFIX.length; i--)
        {
            payload[i] = (byte)('0' + rest % 10);
            rest /= 10;
        }
    }
}
