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
     * A writer killed inside a truncation leaves its begun count above its count; the next writer starts the begun
     * count again at its open and names its own epoch as the one that keeps it, so a reader never trusts what the
     * writer before left (nor what a newer writer left for an older one, which writes neither field: its epoch
     * differs). The count itself carries on, with nothing under way.
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
        assertThat(reader.truncations()).as("carried on").isOne();
        assertThat(reader.truncationBegun()).as("none under way").isOne();
    }

    /**
     * A reader that last looked under the writer before learns from the next one how far back the stream went: the
     * count and ring carry on, recovery's own truncations follow them, and keeping less than the writer before had
     * published counts as one more truncation, to what was kept.
     */
    @Test
    void aNewWriterCarriesTheTruncationsOnAndRecordsWhatItKeptLessOf()
    {
        final PositionsFile closed = PositionsFile.openForWriter(dir);
        final StreamPositions first = new StreamPositions();
        first.moveTo(closed.area());
        first.publishLastSeq(100);
        first.onTruncated(40);
        first.publishLastSeq(100);

        final PositionsFile next = PositionsFile.openForWriter(dir);
        final StreamPositions recovered = new StreamPositions();
        recovered.onTruncated(90);
        recovered.publishLastSeq(70);
        recovered.moveTo(next.area());

        assertThat(recovered.truncations()).isEqualTo(3);
        assertThat(recovered.lowestTruncatedTo(0, 3)).isEqualTo(40);
        assertThat(recovered.lowestTruncatedTo(1, 3)).as("recovery's, then what was kept of the 100 published")
            .isEqualTo(70);
        assertThat(recovered.lowestTruncatedTo(1, 2)).isEqualTo(90);
        assertThat(recovered.truncationBegun()).as("none under way").isEqualTo(3);
        assertThat(recovered.lastSeq()).isEqualTo(70);

        final PositionsFile same = PositionsFile.openForWriter(dir);
        final StreamPositions keptAll = new StreamPositions();
        keptAll.publishLastSeq(70);
        keptAll.moveTo(same.area());
        assertThat(keptAll.truncations()).as("kept all that was published: nothing to add").isEqualTo(3);
    }
}
