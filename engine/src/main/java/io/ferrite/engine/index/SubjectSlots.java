package io.ferrite.engine.index;

import java.nio.charset.StandardCharsets;

/**
 * The append path's memory of recent subjects: for each, its validated ASCII bytes and its {@link SubjectIndex}
 * entry. A subject seen before (the common case: a trading or telemetry feed reuses a small set of subject strings)
 * costs one array probe and a reference compare — no validation, no encoding, no map lookup, no allocation. An
 * evicted subject is validated and looked up again, and takes its bytes from its index entry; only a subject the index
 * does not hold is encoded (and allocates).
 * <p>
 * Direct-mapped by {@link String#hashCode()} (cached inside the String), so two hot subjects that collide evict each
 * other: still correct, just slower for those two.
 * <p>
 * Threading: the appending thread only, under the append lock.
 */
public final class SubjectSlots
{
    /** Enough for the subject sets of typical feeds; 256 references of each kind. */
    private static final int SLOTS = 256;
    private static final int MASK = SLOTS - 1;

    private final SubjectIndex index;
    private final String[] subjects = new String[SLOTS];
    private final byte[][] ascii = new byte[SLOTS][];
    private final SubjectIndex.Entry[] entries = new SubjectIndex.Entry[SLOTS];

    public SubjectSlots(final SubjectIndex index)
    {
        this.index = index;
    }

    /**
     * @return the slot now holding {@code subject}.
     * @throws IllegalArgumentException when the subject is not valid, naming it and the rule it breaks.
     */
    public int slot(final String subject)
    {
        if (null == subject)
        {
            throw new IllegalArgumentException("subject must not be null");
        }
        final int slot = spread(subject.hashCode()) & MASK;
        final String cached = subjects[slot];
        if (cached != subject && !subject.equals(cached))
        {
            // A miss allocates nothing for a subject the index holds: more hot subjects than slots evict each other
            // at the cost of a validation and a map lookup, never an encoding.
            Subjects.validateSubject(subject);
            final SubjectIndex.Entry entry = index.get(subject);
            ascii[slot] = null == entry ? subject.getBytes(StandardCharsets.US_ASCII) : entry.ascii();
            entries[slot] = entry;
            subjects[slot] = subject;
        }
        return slot;
    }

    /**
     * @return the validated ASCII bytes of the subject in {@code slot}; not to be modified.
     */
    public byte[] ascii(final int slot)
    {
        return ascii[slot];
    }

    /**
     * @return the subject index entry of the subject in {@code slot}, looked up (or created) when not cached.
     */
    public SubjectIndex.Entry entry(final int slot)
    {
        SubjectIndex.Entry entry = entries[slot];
        if (null == entry || entry.isRemoved())
        {
            entry = index.entryFor(subjects[slot]);
            entry.asciiIfAbsent(ascii[slot]);
            entries[slot] = entry;
        }
        return entry;
    }

    /**
     * Count a message appended under the subject in {@code slot}.
     */
    public void onMessage(final int slot, final long seq)
    {
        index.onMessage(entry(slot), seq);
    }

    private static int spread(final int hash)
    {
        return hash ^ (hash >>> 16);
    }
}
