package io.ferrite.engine.index;

import io.ferrite.format.PositionsDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The truncation fields a reader in another process relies on to tell a truncation's zeros from damage.
 */
class StreamPositionsTest
{
    @Test
    void aTruncationIsUnderWayFromItsBeginningUntilItsCountIsPublished()
    {
        final StreamPositions positions = new StreamPositions();
        assertThat(positions.truncationUnderWay()).isFalse();

        positions.beginTruncation();
        assertThat(positions.truncationUnderWay()).isTrue();
        assertThat(positions.truncations()).isZero();

        positions.onTruncated(7);
        assertThat(positions.truncationUnderWay()).isFalse();
        assertThat(positions.truncations()).isOne();
        assertThat(positions.lowestTruncatedTo(0, 1)).isEqualTo(7);

        positions.beginTruncation();
        assertThat(positions.truncationUnderWay()).as("the second").isTrue();
        positions.onTruncated(5);
        assertThat(positions.truncationUnderWay()).isFalse();
    }

    /**
     * A writer killed inside a truncation leaves its begun count above its count in the file; the next writer's epoch
     * starts both again, or its readers would take every look for one under way.
     */
    @Test
    void theNextWriterDoesNotInheritATruncationItsPredecessorLeftUnderWay()
    {
        final UnsafeBuffer file = new UnsafeBuffer(ByteBuffer.allocateDirect(PositionsDescriptor.LENGTH));
        final StreamPositions killed = new StreamPositions();
        killed.moveTo(file);
        killed.onTruncated(3);
        killed.beginTruncation();
        final StreamPositions reader = new StreamPositions(file);
        assertThat(reader.truncationUnderWay()).isTrue();

        new StreamPositions().moveTo(file);
        assertThat(reader.truncationUnderWay()).isFalse();
        assertThat(reader.truncations()).isZero();
    }

    /**
     * A positions file an older writer wrote holds 0 where the begun count now lies: never above its count.
     */
    @Test
    void anAreaWithoutTheBegunCountNeverShowsATruncationUnderWay()
    {
        final UnsafeBuffer file = new UnsafeBuffer(ByteBuffer.allocateDirect(PositionsDescriptor.LENGTH));
        file.putLong(PositionsDescriptor.TRUNCATIONS_OFFSET, 2);
        assertThat(new StreamPositions(file).truncationUnderWay()).isFalse();
    }
}
