package io.ferrite.engine.agent;

import org.agrona.concurrent.Agent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One thread running many streams' agents: they join and leave while it runs, only an agent with work runs, one
 * agent's failure leaves the others running, and closing takes every agent off through its {@code onClose}. The
 * timeouts only stop a hang; every wait is on a latch or a semaphore the agents release.
 */
@Timeout(60)
class SharedAgentThreadTest
{
    private final List<Thread> made = new CopyOnWriteArrayList<>();
    private final ThreadFactory factory = (runnable) ->
    {
        final Thread thread = new Thread(runnable);
        thread.setDaemon(true);
        made.add(thread);
        return thread;
    };
    private final SharedAgentThread shared =
        new SharedAgentThread("test-shared", factory, LoggerFactory.getLogger(SharedAgentThreadTest.class));

    @AfterEach
    void close()
    {
        shared.close();
    }

    @Test
    void noThreadIsMadeUntilAnAgentJoinsAndThenOnlyOne() throws InterruptedException
    {
        assertThat(shared.started()).isFalse();
        assertThat(made).isEmpty();
        final Probe[] probes = new Probe[5];
        for (int i = 0; i < probes.length; i++)
        {
            probes[i] = Probe.join(shared, "agent-" + i, () -> 0);
        }
        for (final Probe probe : probes)
        {
            probe.awaitCycles(1);
        }
        assertThat(made).hasSize(1);
        assertThat(made.get(0).getName()).isEqualTo("test-shared");
        assertThat(shared.memberCount()).isEqualTo(5);
        for (final Probe probe : probes)
        {
            assertThat(probe.ranOn.get()).isSameAs(made.get(0));
        }
    }

    @Test
    void aSignalRunsOnlyTheAgentSignalled() throws InterruptedException
    {
        final Probe first = Probe.join(shared, "first", () -> 0);
        final Probe second = Probe.join(shared, "second", () -> 0);
        first.awaitCycles(1);
        second.awaitCycles(1);
        for (int i = 0; i < 10; i++)
        {
            second.slot.wakeUp().signal();
            second.awaitCycles(2 + i);
        }
        assertThat(first.cycles.get()).as("the first agent had no work and was not run again").isEqualTo(1);
    }

    @Test
    void anAgentTimerRunsItWhenDue() throws InterruptedException
    {
        final AtomicInteger timers = new AtomicInteger(3);
        final AtomicReference<AgentWakeUp> wakeUp = new AtomicReference<>();
        final Probe timed = Probe.join(shared, "timed", () ->
        {
            if (timers.getAndDecrement() > 0)
            {
                wakeUp.get().wakeAt(System.nanoTime() + 1_000_000L);
            }
            return 0;
        }, wakeUp);
        final Probe idle = Probe.join(shared, "idle", () -> 0);
        timed.awaitCycles(4);
        idle.awaitCycles(1);
        assertThat(idle.cycles.get()).as("timers of another agent do not run this one").isEqualTo(1);
    }

    @Test
    void anAgentLeavesWhileTheOthersRun() throws InterruptedException
    {
        final Probe staying = Probe.join(shared, "staying", () -> 0);
        final Probe leaving = Probe.join(shared, "leaving", () -> 0);
        leaving.awaitCycles(1);
        staying.awaitCycles(1);
        leaving.slot.close();
        assertThat(leaving.closedOn.get()).as("onClose ran on the shared thread before close returned")
            .isSameAs(made.get(0));
        assertThat(shared.memberCount()).isEqualTo(1);
        staying.slot.wakeUp().signal();
        staying.awaitCycles(2);
        assertThat(staying.closedOn.get()).isNull();
        final Probe joined = Probe.join(shared, "joined-later", () -> 0);
        joined.awaitCycles(1);
        assertThat(shared.memberCount()).isEqualTo(2);
        assertThat(made).as("still one thread").hasSize(1);
    }

    @Test
    void aFailingAgentDoesNotStopTheOthers() throws InterruptedException
    {
        final AtomicInteger runtimeFailures = new AtomicInteger();
        final Probe throwing = Probe.join(shared, "throws", () ->
        {
            runtimeFailures.incrementAndGet();
            throw new IllegalStateException("injected");
        });
        final Probe dying = Probe.join(shared, "dies", () ->
        {
            throw new AssertionError("injected error");
        });
        final Probe healthy = Probe.join(shared, "healthy", () -> 0);
        healthy.awaitCycles(1);
        throwing.awaitCycles(1);
        dying.awaitCycles(1);
        // The one that threw an Error is off the thread, closed there (it releases what it holds): its close returns.
        dying.slot.close();
        assertThat(dying.closedOn.get()).isSameAs(made.get(0));
        // The one that threw a RuntimeException keeps its place and runs when signalled.
        throwing.slot.wakeUp().signal();
        throwing.awaitCycles(2);
        assertThat(runtimeFailures.get()).isEqualTo(2);
        healthy.slot.wakeUp().signal();
        healthy.awaitCycles(2);
        assertThat(shared.memberCount()).isEqualTo(2);
    }

    @Test
    void anAgentMayLeaveFromItsOwnDutyCycle() throws InterruptedException
    {
        final AtomicReference<AgentSlot> self = new AtomicReference<>();
        final CountDownLatch left = new CountDownLatch(1);
        final Probe leaver = Probe.join(shared, "self-closing", () ->
        {
            if (null != self.get())
            {
                self.get().close();
                left.countDown();
            }
            return 0;
        });
        leaver.awaitCycles(1);
        self.set(leaver.slot);
        leaver.slot.wakeUp().signal();
        left.await();
        assertThat(leaver.closedOn.get()).isSameAs(made.get(0));
        final Probe other = Probe.join(shared, "other", () -> 0);
        other.awaitCycles(1);
        assertThat(shared.memberCount()).isEqualTo(1);
    }

    @Test
    void closingTheThreadClosesEveryAgentAndRefusesJoins() throws InterruptedException
    {
        final Probe first = Probe.join(shared, "first", () -> 0);
        final Probe second = Probe.join(shared, "second", () -> 0);
        first.awaitCycles(1);
        second.awaitCycles(1);
        shared.close();
        assertThat(first.closedOn.get()).isSameAs(made.get(0));
        assertThat(second.closedOn.get()).isSameAs(made.get(0));
        assertThat(made.get(0).isAlive()).isFalse();
        assertThat(shared.memberCount()).isZero();
        // Closing a slot after its thread closed returns at once.
        first.slot.close();
        final AgentSlot late = shared.newSlot();
        assertThatThrownBy(() -> late.start(new Probe("late", () -> 0))).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("test-shared is closed");
    }

    @Test
    void anAgentThatThrowsAnErrorIsClosedOnceAndItsSlotCloseReturns() throws InterruptedException
    {
        final AtomicInteger closes = new AtomicInteger();
        final Probe dying = new Probe("dies", () ->
        {
            throw new OutOfMemoryError("injected");
        })
        {
            @Override
            public void onClose()
            {
                closes.incrementAndGet();
                super.onClose();
            }
        };
        dying.slot = shared.newSlot();
        dying.slot.start(dying);
        dying.awaitCycles(1);
        dying.slot.close();
        assertThat(closes.get()).isEqualTo(1);
        assertThat(shared.memberCount()).isZero();
        shared.close();
        assertThat(closes.get()).as("not closed again with the thread").isEqualTo(1);
    }

    @Test
    void closingTheThreadFromAnAgentsOwnCycleStopsItWithoutWaitingOnItself() throws InterruptedException
    {
        final AtomicBoolean closeNow = new AtomicBoolean();
        final CountDownLatch closeReturned = new CountDownLatch(1);
        final Probe closer = Probe.join(shared, "closer", () ->
        {
            if (closeNow.get())
            {
                assertThat(SharedAgentThread.onSharedThread()).isTrue();
                shared.close();
                closeReturned.countDown();
            }
            return 0;
        });
        final Probe other = Probe.join(shared, "other", () -> 0);
        closer.awaitCycles(1);
        assertThat(SharedAgentThread.onSharedThread()).isFalse();
        closeNow.set(true);
        closer.slot.wakeUp().signal();
        closeReturned.await();
        made.get(0).join();
        assertThat(closer.closedOn.get()).isSameAs(made.get(0));
        assertThat(other.closedOn.get()).isSameAs(made.get(0));
        assertThat(shared.memberCount()).isZero();
        other.slot.close();
    }

    @Test
    void anAgentLeavingWhileTheThreadIsClosingIsClosedAndItsCloseReturns() throws Exception
    {
        final CountDownLatch inOnClose = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Probe slow = new Probe("slow-close", () -> 0)
        {
            @Override
            public void onClose()
            {
                super.onClose();
                inOnClose.countDown();
                try
                {
                    release.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        };
        slow.slot = shared.newSlot();
        slow.slot.start(slow);
        final Probe leaving = Probe.join(shared, "leaving", () -> 0);
        slow.awaitCycles(1);
        leaving.awaitCycles(1);
        final Thread closing = new Thread(shared::close);
        closing.start();
        inOnClose.await();
        // The thread is stopping (its onClose runs) while the closer joins it: this agent's owner closes it now.
        final CountDownLatch leftReturned = new CountDownLatch(1);
        final Thread leaver = new Thread(() ->
        {
            leaving.slot.close();
            leftReturned.countDown();
        });
        leaver.start();
        release.countDown();
        leftReturned.await();
        closing.join();
        assertThat(leaving.closedOn.get()).isSameAs(made.get(0));
        assertThat(shared.memberCount()).isZero();
    }

    /**
     * An agent that counts its duty cycles and records the thread of its cycles and of its {@code onClose}.
     */
    private static class Probe implements Agent
    {
        private final String name;
        private final IntSupplier work;
        private final AtomicInteger cycles = new AtomicInteger();
        private final Semaphore cycled = new Semaphore(0);
        private final AtomicReference<Thread> ranOn = new AtomicReference<>();
        private final AtomicReference<Thread> closedOn = new AtomicReference<>();
        private AgentSlot slot;

        Probe(final String name, final IntSupplier work)
        {
            this.name = name;
            this.work = work;
        }

        static Probe join(final SharedAgentThread thread, final String name, final IntSupplier work)
        {
            return join(thread, name, work, new AtomicReference<>());
        }

        static Probe join(
            final SharedAgentThread thread, final String name, final IntSupplier work,
            final AtomicReference<AgentWakeUp> wakeUp)
        {
            final Probe probe = new Probe(name, work);
            probe.slot = thread.newSlot();
            wakeUp.set(probe.slot.wakeUp());
            probe.slot.start(probe);
            return probe;
        }

        void awaitCycles(final int count) throws InterruptedException
        {
            while (cycles.get() < count)
            {
                cycled.acquire();
            }
        }

        @Override
        public int doWork()
        {
            ranOn.set(Thread.currentThread());
            try
            {
                return work.getAsInt();
            }
            finally
            {
                cycles.incrementAndGet();
                cycled.release();
            }
        }

        @Override
        public void onClose()
        {
            closedOn.set(Thread.currentThread());
        }

        @Override
        public String roleName()
        {
            return name;
        }
    }
}
