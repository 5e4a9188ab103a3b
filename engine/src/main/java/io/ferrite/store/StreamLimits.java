package io.ferrite.store;

import java.time.Duration;
import java.util.Objects;

/**
 * A stream's retention limits. A limit of {@link #UNLIMITED} (or a {@link Duration#ZERO} age) is off.
 *
 * @param maxMsgs           the most messages kept.
 * @param maxBytes          the most message bytes (subject + headers + payload) kept.
 * @param maxAge            how long a message is kept after its timestamp.
 * @param maxMsgsPerSubject the most messages kept per subject.
 * @param discard           what an append that would exceed a count or byte limit does.
 */
public record StreamLimits(long maxMsgs, long maxBytes, Duration maxAge, long maxMsgsPerSubject, Discard discard)
{
    public static final long UNLIMITED = -1;

    public StreamLimits
    {
        requireLimit("maxMsgs", maxMsgs);
        requireLimit("maxBytes", maxBytes);
        requireLimit("maxMsgsPerSubject", maxMsgsPerSubject);
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(discard, "discard");
    }

    /**
     * @return whether any limit is set.
     */
    public boolean any()
    {
        return maxMsgs != UNLIMITED || maxBytes != UNLIMITED || !maxAge.isZero() || maxMsgsPerSubject != UNLIMITED;
    }

    static long requireLimit(final String name, final long value)
    {
        if (value != UNLIMITED && value < 1)
        {
            throw new IllegalArgumentException(name + " must be -1 (no limit) or >= 1: " + value);
        }
        return value;
    }
}
