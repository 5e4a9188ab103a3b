package io.ferrite.replication;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The message ids of {@code appendOnce}: answered inside their window by the log's time, dropped after it, forgotten
 * by a truncate, and carried through a snapshot section that is checked before it is believed.
 */
class MessageIdWindowTest
{
    @Test
    void anIdIsAnsweredInsideItsWindowOnly()
    {
        final MessageIdWindow window = new MessageIdWindow();
        window.record("a", 7, 1_000);
        assertThat(window.sequenceOf("a", 999)).isEqualTo(7);
        assertThat(window.sequenceOf("a", 1_000)).as("the window's last instant").isEqualTo(7);
        assertThat(window.sequenceOf("a", 1_001)).isZero();
        assertThat(window.sequenceOf("b", 0)).isZero();
    }

    @Test
    void expiryDropsFromTheFrontUpToTheFirstLiveId()
    {
        final MessageIdWindow window = new MessageIdWindow();
        window.record("a", 1, 100);
        window.record("b", 2, 500);
        window.record("c", 3, 200);
        window.expire(300);
        assertThat(window.size()).as("a dropped; c stays behind the live b, answered by its own expiry").isEqualTo(2);
        assertThat(window.sequenceOf("c", 300)).isZero();
        assertThat(window.sequenceOf("b", 300)).isEqualTo(2);
        window.record("a", 4, 900);
        window.expire(600);
        assertThat(window.size()).isEqualTo(1);
        assertThat(window.sequenceOf("a", 600)).isEqualTo(4);
    }

    @Test
    void aTruncateForgetsTheIdsAboveIt()
    {
        final MessageIdWindow window = new MessageIdWindow();
        window.record("a", 1, 100);
        window.record("b", 2, 100);
        window.record("c", 3, 100);
        window.forgetAbove(1);
        assertThat(window.sequenceOf("a", 0)).isEqualTo(1);
        assertThat(window.sequenceOf("b", 0)).isZero();
        assertThat(window.sequenceOf("c", 0)).isZero();
    }

    @Test
    void theSnapshotSectionRoundTripsAndADamagedOneNamesTheFile()
    {
        final MessageIdWindow window = new MessageIdWindow();
        window.record("order-1", 10, 1_000);
        window.record("ordre-\u00e9", 11, 2_000);
        final ByteBuffer section = window.encode();

        final MessageIdWindow restored = new MessageIdWindow();
        restored.record("stale", 99, 5_000);
        restored.decode(section.duplicate(), "snap");
        assertThat(restored.size()).isEqualTo(2);
        assertThat(restored.sequenceOf("order-1", 1_000)).isEqualTo(10);
        assertThat(restored.sequenceOf("ordre-\u00e9", 1_500)).isEqualTo(11);
        assertThat(restored.sequenceOf("stale", 0)).as("replaced, not merged").isZero();

        final byte[] damaged = new byte[section.remaining()];
        section.duplicate().get(damaged);
        damaged[6] ^= 1;
        assertThatThrownBy(() -> new MessageIdWindow().decode(ByteBuffer.wrap(damaged), "/sm/snapshot.1_42"))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("/sm/snapshot.1_42").hasMessageContaining("checksum");
        assertThatThrownBy(() -> new MessageIdWindow().decode(ByteBuffer.allocate(3), "/sm/snapshot.1_42"))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("/sm/snapshot.1_42");
    }
}
