package io.ferrite.engine.agent;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CompositeAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The thread the flusher and the reclaimer run on: it parks until signalled or until an agent's timer is due, runs
 * several agents (a composite) on one thread, and stops through the agents' {@code onClose} without an interrupt.
 * The timeouts only stop a hang; nothing here measures time.
 */
@Timeout(60)
class AgentThreadTest
{
    @Test
    void aSignalBeforeIdlingIsNotLost()
    {
        final WakeUpIdleStrategy idle = new WakeUpIdleStrategy();
        idle.signal();
        // Would park for good had the signal, sent before the thread was known, been lost.
        idle.idle(0);
        idle.wakeAt(System.nanoTime() - 1);
        idle.idle(0);
    }

    @Test
    void aSignalWakesAParkedThread() throws InterruptedException
    {
        final WakeUpIdleStrategy idle = new WakeUpIdleStrategy();
        final Thread idler = new Thread(() -> idle.idle(0));
        idler.start();
        while (idler.getState() != Thread.State.WAITING && idler.isAlive())
        {
            Thread.onSpinWait();
        }
        idle.signal();
        idler.join();
        assertThat(idler.isAlive()).isFalse();
    }

    @Test
    void terminationEndsTheRunLoopAtTheNextIdle()
    {
        final WakeUpIdleStrategy idle = new WakeUpIdleStrategy();
        idle.terminate();
        assertThatThrownBy(() -> idle.idle(1)).hasMessageContaining("terminated");
        assertThatThrownBy(() -> idle.idle(0)).hasMessageContaining("terminated");
    }

    @Test
    void agentsSharingAThreadAreEachWokenByTheirOwnSignal() throws InterruptedException
    {
        final AgentThread thread = new AgentThread(LoggerFactory.getLogger(AgentThreadTest.class));
        final SignalledAgent first = new SignalledAgent("first", thread.wakeUp());
        final SignalledAgent second = new SignalledAgent("second", thread.wakeUp());
        thread.start(new CompositeAgent(first, second));
        try
        {
            second.signal();
            second.worked.await();
            assertThat(first.cycles.get()).as("the first agent had nothing to do").isZero();
            first.signal();
            first.worked.await();
            assertThat(first.thread.get()).isSameAs(second.thread.get());
        }
        finally
        {
            thread.close();
        }
        assertThat(first.closedOn.get()).as("onClose on the agents' thread").isSameAs(first.thread.get());
        assertThat(second.closedOn.get()).isSameAs(first.thread.get());
        assertThat(first.interrupted.get()).as("never interrupted").isFalse();
    }

    @Test
    void startReturnsOnceTheAgentsOnStartRanOnItsThread()
    {
        final AtomicReference<Thread> startedOn = new AtomicReference<>();
        final CountDownLatch release = new CountDownLatch(1);
        final Thread starter = Thread.currentThread();
        // onStart finishes only once this thread waits in start(): a start() that did not wait would return first.
        final Thread releaser = new Thread(() ->
        {
            while (starter.getState() != Thread.State.WAITING)
            {
                Thread.onSpinWait();
            }
            release.countDown();
        }, "releaser");
        releaser.start();
        final AgentThread thread = new AgentThread(LoggerFactory.getLogger(AgentThreadTest.class));
        thread.start(new Agent()
        {
            @Override
            public void onStart()
            {
                Uninterruptibles.await(release);
                startedOn.set(Thread.currentThread());
            }

            @Override
            public int doWork()
            {
                return 0;
            }

            @Override
            public String roleName()
            {
                return "starting";
            }
        });
        try
        {
            assertThat(startedOn.get()).as("onStart ran before start() returned, on the agent's thread").isNotNull()
                .isNotSameAs(Thread.currentThread());
        }
        finally
        {
            thread.close();
        }
    }

    @Test
    void startReturnsWhenTheAgentsOnStartThrows()
    {
        final AgentThread thread = new AgentThread(LoggerFactory.getLogger(AgentThreadTest.class));
        final AtomicBoolean closed = new AtomicBoolean();
        thread.start(new Agent()
        {
            @Override
            public void onStart()
            {
                throw new IllegalStateException("expected by the test: onStart fails");
            }

            @Override
            public int doWork()
            {
                return 0;
            }

            @Override
            public void onClose()
            {
                closed.set(true);
            }

            @Override
            public String roleName()
            {
                return "failing-start";
            }
        });
        thread.close();
        assertThat(closed).as("the runner went on to onClose").isTrue();
    }

    @Test
    void closingANeverStartedThreadDoesNothing()
    {
        new AgentThread(LoggerFactory.getLogger(AgentThreadTest.class)).close();
    }

    private static final class SignalledAgent implements Agent
    {
        final String name;
        final WakeUpIdleStrategy wakeUp;
        final AtomicBoolean signalled = new AtomicBoolean();
        final AtomicInteger cycles = new AtomicInteger();
        final CountDownLatch worked = new CountDownLatch(1);
        final AtomicReference<Thread> thread = new AtomicReference<>();
        final AtomicReference<Thread> closedOn = new AtomicReference<>();
        final AtomicBoolean interrupted = new AtomicBoolean();

        SignalledAgent(final String name, final WakeUpIdleStrategy wakeUp)
        {
            this.name = name;
            this.wakeUp = wakeUp;
        }

        void signal()
        {
            signalled.set(true);
            wakeUp.signal();
        }

        @Override
        public int doWork()
        {
            thread.set(Thread.currentThread());
            if (signalled.getAndSet(false))
            {
                cycles.incrementAndGet();
                worked.countDown();
                return 1;
            }
            return 0;
        }

        @Override
        public void onClose()
        {
            closedOn.set(Thread.currentThread());
            interrupted.set(Thread.currentThread().isInterrupted());
        }

        @Override
        public String roleName()
        {
            return name;
        }
    }
}
