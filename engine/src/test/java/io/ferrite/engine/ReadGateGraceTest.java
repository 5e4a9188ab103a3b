package io.ferrite.engine;

import io.ferrite.store.StoreClosedException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The read gate's grace periods: one is over once every reader inside when its ticket was taken has left, whatever
 * readers entered since; a reader whose two reads of the gate's state straddle a flip is either waited for or counts
 * in the new phase; and, run against each other, readers never see retired what they took inside the gate.
 */
class ReadGateGraceTest
{
    private static final long HANG_GUARD_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final ReadGate gate = new ReadGate("graced");

    @Test
    void aGracePeriodWithNobodyInsideIsOverAtOnce()
    {
        assertThat(gate.pollGrace(gate.startGrace())).isTrue();
        assertThat(gate.awaitGrace(gate.startGrace(), 0)).isTrue();
        assertThat(gate.pollGrace(gate.startGrace())).as("and the next").isTrue();
    }

    @Test
    void aReaderInsideBeforeTheTicketHoldsTheGracePeriodUntilItLeaves()
    {
        final int inside = gate.enter();
        final long ticket = gate.startGrace();
        assertThat(gate.pollGrace(ticket)).isFalse();
        assertThat(gate.pollGrace(ticket)).as("asked again").isFalse();
        assertThat(gate.awaitGrace(ticket, TimeUnit.MILLISECONDS.toNanos(1))).as("up to its bound").isFalse();
        gate.exit(inside);
        assertThat(gate.pollGrace(ticket)).isTrue();
        assertThat(gate.pollGrace(ticket)).as("stays over").isTrue();
    }

    @Test
    void readersEnteringAfterTheFlipDoNotHoldItUpButHoldTheNext() throws Exception
    {
        final int before = gate.enter();
        final long ticket = gate.startGrace();
        assertThat(gate.pollGrace(ticket)).as("flipped; the reader from before is inside").isFalse();
        final int after = gate.enter();
        final int[] afterOnOtherThread = new int[1];
        final Thread other = new Thread(() -> afterOnOtherThread[0] = gate.enter());
        other.start();
        other.join();

        gate.exit(before);
        assertThat(gate.inside()).isEqualTo(2);
        assertThat(gate.pollGrace(ticket)).as("only the reader from before the flip was waited for").isTrue();

        final long next = gate.startGrace();
        assertThat(gate.pollGrace(next)).as("the readers that came after hold the next one").isFalse();
        gate.exit(after);
        assertThat(gate.pollGrace(next)).isFalse();
        gate.exit(afterOnOtherThread[0]);
        assertThat(gate.pollGrace(next)).isTrue();
    }

    @Test
    void aTicketTakenWhileAnotherGracePeriodRunsWaitsOnlyForTheReadersInsideWhenItWasTaken()
    {
        final int first = gate.enter();
        final long firstTicket = gate.startGrace();
        assertThat(gate.pollGrace(firstTicket)).isFalse();
        final int second = gate.enter();
        final long secondTicket = gate.startGrace();
        assertThat(secondTicket).as("needs a flip after the one running").isEqualTo(firstTicket + 1);

        gate.exit(first);
        assertThat(gate.pollGrace(firstTicket)).isTrue();
        assertThat(gate.pollGrace(secondTicket)).as("the reader inside at its ticket").isFalse();
        final int third = gate.enter();
        gate.exit(second);
        assertThat(gate.pollGrace(secondTicket)).as("not the one that came after its flip").isTrue();
        gate.exit(third);
        assertThat(gate.inside()).isZero();
    }

    @Test
    void aReaderWhoseReadsStraddleAFlipCountsInTheNewPhase()
    {
        final long observed = gate.state();
        final long ticket = gate.startGrace();
        assertThat(gate.pollGrace(ticket)).as("flipped, and nobody was inside").isTrue();
        assertThat(gate.enter(0, observed)).as("its second read saw the flip: not counted in the old phase").isZero();
        assertThat(gate.inside()).isZero();

        final int index = gate.enter(0, gate.state());
        assertThat(index).as("counted in the new phase").isPositive();
        final long next = gate.startGrace();
        assertThat(gate.pollGrace(next)).as("and held the next grace period").isFalse();
        gate.exit(index);
        assertThat(gate.pollGrace(next)).isTrue();
    }

    @Test
    void aReaderThatCountedItselfInBeforeTheFlipIsWaitedFor()
    {
        final int index = gate.enter(3, gate.state());
        assertThat(index).isPositive();
        final long ticket = gate.startGrace();
        assertThat(gate.pollGrace(ticket)).isFalse();
        gate.exit(index);
        assertThat(gate.pollGrace(ticket)).isTrue();
    }

    @Test
    void aCloseBetweenAReadersTwoReadsKeepsItOut()
    {
        final long observed = gate.state();
        assertThat(gate.close(0)).isTrue();
        assertThatThrownBy(() -> gate.enter(0, observed)).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> gate.enter(0, gate.state())).as("read after the close began")
            .isInstanceOf(StoreClosedException.class);
        assertThat(gate.inside()).isZero();
        assertThat(gate.pollGrace(gate.startGrace())).as("grace periods go on").isTrue();
    }

    @Test
    void anInterruptDoesNotEndTheWaitAndIsKept() throws Exception
    {
        final int inside = gate.enter();
        final long ticket = gate.startGrace();
        final AtomicBoolean over = new AtomicBoolean();
        final AtomicBoolean stillInterrupted = new AtomicBoolean();
        final Thread waiter = new Thread(() ->
        {
            Thread.currentThread().interrupt();
            over.set(gate.awaitGrace(ticket, Long.MAX_VALUE));
            stillInterrupted.set(Thread.interrupted());
        }, "grace-waiter");
        waiter.start();
        awaitCondition(() -> LockSupport.getBlocker(waiter) == gate);
        gate.exit(inside);
        waiter.join();
        assertThat(over).isTrue();
        assertThat(stillInterrupted).isTrue();
    }

    /**
     * Readers take the current box inside the gate and check, while inside, that it is not retired; a writer swaps in
     * a new box, waits for a grace period and retires the old one; a poller moves the grace periods on with tickets of
     * its own, as the flusher does. A grace period that let a reader from before its flip go unwaited would let a
     * reader see its box retired. Passing does not depend on timing; the iterations only give the races a chance.
     */
    @Test
    void readersNeverSeeRetiredWhatTheyTookInsideTheGate() throws Exception
    {
        final AtomicReference<Box> current = new AtomicReference<>(new Box());
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Throwable> failures = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < 3; r++)
        {
            threads.add(new Thread(() -> record(failures, () ->
            {
                while (!stop.get())
                {
                    final int index = gate.enter();
                    try
                    {
                        final Box box = current.get();
                        for (int look = 0; look < 8; look++)
                        {
                            if (box.retired)
                            {
                                throw new AssertionError("a box retired while a reader that took it is inside");
                            }
                            Thread.onSpinWait();
                        }
                    }
                    finally
                    {
                        gate.exit(index);
                    }
                }
            }), "reader-" + r));
        }
        threads.add(new Thread(() -> record(failures, () ->
        {
            while (!stop.get())
            {
                gate.pollGrace(gate.startGrace());
                Thread.yield();
            }
        }), "poller"));
        threads.forEach(Thread::start);
        try
        {
            for (int swap = 0; swap < 3_000; swap++)
            {
                final Box old = current.getAndSet(new Box());
                final long ticket = gate.startGrace();
                assertThat(gate.awaitGrace(ticket, HANG_GUARD_NANOS)).as("swap %d", swap).isTrue();
                old.retired = true;
            }
        }
        finally
        {
            stop.set(true);
            for (final Thread thread : threads)
            {
                thread.join();
            }
        }
        assertThat(failures).isEmpty();
        assertThat(gate.inside()).isZero();
    }

    private static final class Box
    {
        volatile boolean retired;
    }

    private static void record(final List<Throwable> failures, final Runnable body)
    {
        try
        {
            body.run();
        }
        catch (final Throwable ex)
        {
            synchronized (failures)
            {
                failures.add(ex);
            }
        }
    }

    private static void awaitCondition(final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + HANG_GUARD_NANOS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting for a condition");
            }
            LockSupport.parkNanos(100_000);
        }
    }
}
