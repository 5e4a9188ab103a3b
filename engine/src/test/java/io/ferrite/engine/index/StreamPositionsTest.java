package io.ferrite.engine.index;

import io.ferrite.engine.state.PositionsFile;
import io.ferrite.format.PositionsDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The truncation fields a reader in another process relies on to tell a truncation's zeros from damage.
 */
class StreamPositionsTest
{
    @TempDir
    Path dir;

    @Test
    void aTruncationIsBegunFromItsStartUntilItsCountIsPublishedOrItFails()
    {
        final StreamPositions positions = new StreamPositions();
        assertThat(positions.truncationBegun()).isEqualTo(positions.truncations()).isZero();

        positions.beginTruncation();
        assertThat(positions.truncationBegun()).as("under way").isOne();
        assertThat(positions.truncations()).isZero();

        positions.onTruncated(7);
        assertThat(positions.truncations()).isOne();
        assertThat(positions.truncationBegun()).as("done").isEqualTo(positions.truncations());
        assertThat(positions.lowestTruncatedTo(0, 1)).isEqualTo(7);

        positions.beginTruncation();
        assertThat(positions.truncationBegun()).as("the second, under way").isEqualTo(2);
        positions.abandonTruncation();
        assertThat(positions.truncationBegun()).as("failed").isEqualTo(positions.truncations()).isOne();
    }

    /**
     * A writer killed inside a truncation leaves its begun count above its count; the next writer starts the count
     * again at its open and names its own epoch as the one that keeps it, so a reader never trusts what the writer
     * before left (nor what a newer writer left for an older one, which writes neither field: its epoch differs).
     */
    @Test
    void theNextWriterKeepsTheBegunCountAfreshFromItsOpen()
    {
        final PositionsFile killed = PositionsFile.openForWriter(dir);
        final StreamPositions first = new StreamPositions();
        first.moveTo(killed.area());
        first.onTruncated(3);
        first.beginTruncation();
        final UnsafeBuffer area = killed.area();
        assertThat(area.getLong(PositionsDescriptor.TRUNCATION_BEGUN_OFFSET)).isEqualTo(2);
        assertThat(area.getLong(PositionsDescriptor.BEGUN_KEPT_BY_OFFSET))
            .isEqualTo(area.getLong(PositionsDescriptor.EPOCH_OFFSET)).isOne();

        final PositionsFile next = PositionsFile.openForWriter(dir);
        final StreamPositions reader = new StreamPositions(next.area());
        assertThat(reader.epoch()).isEqualTo(2);
        assertThat(reader.begunKeptBy()).isEqualTo(2);
        assertThat(reader.truncationBegun()).as("not inherited").isZero();

        new StreamPositions().moveTo(next.area());
        assertThat(reader.truncations()).isZero();
        assertThat(reader.truncationBegun()).isZero();
    }
}
