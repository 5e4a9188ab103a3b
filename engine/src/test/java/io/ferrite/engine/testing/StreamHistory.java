package io.ferrite.engine.testing;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.StoredMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a test did to a stream — every sequence assigned, every removal — checked against each store opened on it
 * afterwards, whatever was damaged or lost in between:
 * <ul>
 *   <li>the last sequence never goes backwards (no test here truncates);</li>
 *   <li>every sequence ever assigned is loaded intact, removed by the caller, or listed in a recovery report (or, for
 *   damage found after open, refused with a {@link CorruptRecordException} naming it): never silently absent;</li>
 *   <li>a removed message never comes back;</li>
 *   <li>an append after recovery takes a number never assigned before.</li>
 * </ul>
 * Losses reported by one open count for the later ones: a loss is reported once, then the sequences stay absent.
 * <p>
 * Not thread-safe.
 */
public final class StreamHistory
{
    private final TestMessages messages;
    private final NavigableSet<Long> removed = new TreeSet<>();
    private final List<LostRange> reported = new ArrayList<>();
    private long lastAssigned;

    public StreamHistory(final TestMessages messages)
    {
        this.messages = messages;
    }

    /**
     * @return an independent copy, for one case of many that start from the same stream.
     */
    public StreamHistory copy()
    {
        final StreamHistory copy = new StreamHistory(messages);
        copy.removed.addAll(removed);
        copy.reported.addAll(reported);
        copy.lastAssigned = lastAssigned;
        return copy;
    }

    public long lastAssigned()
    {
        return lastAssigned;
    }

    public NavigableSet<Long> removed()
    {
        return removed;
    }

    /**
     * Append the next message, derived from its sequence, and check the number was never assigned before.
     */
    public long append(final FileStreamStore store, final String context)
    {
        final long seq = messages.appendNext(store);
        assertThat(seq).as("an append took a number assigned before: %s", context).isGreaterThan(lastAssigned);
        lastAssigned = seq;
        return seq;
    }

    public void remove(final FileStreamStore store, final long seq)
    {
        assertThat(store.remove(seq)).as("remove(%d)", seq).isTrue();
        removed.add(seq);
    }

    /**
     * Check a store just opened (or still open) against the history, and remember what its recovery reported.
     */
    public void check(final FileStreamStore store, final String context)
    {
        reported.addAll(store.recoveryReport().lost());
        final String where = context + "\nreport " + store.recoveryReport();
        assertThat(store.state().lastSeq()).as("the last sequence went backwards: %s", where)
            .isGreaterThanOrEqualTo(lastAssigned);
        for (long seq = 1; seq <= lastAssigned; seq++)
        {
            final StoredMessage message;
            try
            {
                message = store.load(seq);
            }
            catch (final CorruptRecordException ex)
            {
                assertThat(ex.seq()).as("%s", where).isEqualTo(seq);
                assertThat(removed.contains(seq)).as("removed seq %d is read as damage: %s", seq, where).isFalse();
                continue;
            }
            if (removed.contains(seq))
            {
                assertThat(message).as("removed seq %d came back: %s", seq, where).isNull();
            }
            else if (null == message)
            {
                final long absent = seq;
                assertThat(reported).as("seq %d is absent and no report lists it: %s", seq, where)
                    .anyMatch((range) -> range.covers(absent));
            }
            else
            {
                assertThat(messages.mismatch(message, seq)).as(where).isNull();
            }
        }
        for (long seq = lastAssigned + 1; seq <= store.state().lastSeq(); seq++)
        {
            assertThat(store.load(seq)).as("seq %d was never assigned: %s", seq, where).isNull();
        }
    }
}
