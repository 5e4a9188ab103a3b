package io.ferrite.engine;

import io.ferrite.store.StoreClosedException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The read gate's counting and its close: a close with nobody inside succeeds at once, one with a reader inside waits
 * for it up to its bound, and nobody gets in after the close began.
 */
class ReadGateTest
{
    private final ReadGate gate = new ReadGate("gated");

    @Test
    void countsEveryReaderInsideOnceWhicheverCounterItsThreadUses() throws Exception
    {
        final int first = gate.enter();
        final int second = gate.enter();
        final int[] other = new int[1];
        final Thread thread = new Thread(() -> other[0] = gate.enter());
        thread.start();
        thread.join();
        assertThat(gate.inside()).isEqualTo(3);
        gate.exit(first);
        gate.exit(other[0]);
        assertThat(gate.inside()).isEqualTo(1);
        gate.exit(second);
        assertThat(gate.inside()).isZero();
    }

    @Test
    void aCloseWithNobodyInsideSucceedsAndLetsNobodyInAfter()
    {
        assertThat(gate.close(0)).isTrue();
        assertThatThrownBy(gate::enter).isInstanceOf(StoreClosedException.class).hasMessageContaining("gated");
        assertThat(gate.inside()).as("a refused reader is not counted").isZero();
        assertThat(gate.close(0)).as("stays closed").isTrue();
    }

    @Test
    void aCloseWaitsForTheReaderInsideUpToItsBound() throws Exception
    {
        final int inside = gate.enter();
        assertThat(gate.close(TimeUnit.MILLISECONDS.toNanos(1))).as("a reader is still inside").isFalse();
        assertThatThrownBy(gate::enter).isInstanceOf(StoreClosedException.class);
        final Thread leaving = new Thread(() -> gate.exit(inside));
        leaving.start();
        assertThat(gate.close(TimeUnit.MINUTES.toNanos(5))).as("it left").isTrue();
        leaving.join();
        assertThat(gate.inside()).isZero();
    }
}
