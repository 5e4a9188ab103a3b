package io.ferrite.engine.block;

import io.ferrite.store.StreamState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link StreamIndex#state()} counts, readers can load: a message's totals and its published sequence change
 * together. {@code ConcurrentReadersTest} races readers against an appender for the same promise; this pins the order
 * that keeps it.
 */
class StreamIndexTest
{
    @Test
    void aMessageCountedInTheTotalsIsAlreadyPublished()
    {
        final StreamIndex index = new StreamIndex();
        for (long seq = 1; seq <= 3; seq++)
        {
            index.onMessage(seq, 1_000 + seq, 10);
            final StreamState state = index.state();
            assertThat(state.lastSeq()).isEqualTo(seq);
            assertThat(index.publishedLastSeq()).as("published with the totals that count %d", seq)
                .isEqualTo(state.lastSeq());
            assertThat(index.positions().lastSeq()).isEqualTo(seq);
        }
        assertThat(index.state().msgs()).isEqualTo(3);
    }
}
