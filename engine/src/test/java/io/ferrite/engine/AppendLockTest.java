package io.ferrite.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The append lock lets a thread announced in {@code lock()} (the flusher's capture, a state write) in ahead of
 * appenders, which would otherwise barge back in and starve it; an appender spins only a bounded while before it
 * parks in the lock's queue, whoever holds the lock; and it stays re-entrant for both kinds of caller.
 */
class AppendLockTest
{
    /** How long a thread may take to queue and park behind a held lock: the spin before it takes far below 1 ms. */
    private static final long PARK_BOUND_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long JOIN_MILLIS = TimeUnit.SECONDS.toMillis(30);

    /** Appenders behind the announced waiter in the reported case: as many as there were. */
    private static final int APPENDERS = 3;

    /**
     * A holder that keeps the lock (a claim, held from tryClaim to commit) with a waiter announced: the appenders
     * behind both used to yield for as long as the holder kept the lock (3 of them burnt 2.1 s of CPU on 2 cores
     * behind a 2 s claim). They park, queued behind the waiter, which still gets the lock first.
     */
    @Test
    void appendersBehindAnAnnouncedWaiterAndAHolderThatKeepsTheLockParkBehindTheWaiter() throws Exception
    {
        final AppendLock lock = new AppendLock();
        final List<String> order = new CopyOnWriteArrayList<>();
        lock.lockForAppend("append");
        final Thread waiter = new Thread(() ->
        {
            lock.lock();
            order.add("waiter");
            lock.unlock();
        }, "announced-waiter");
        waiter.start();
        awaitQueued(lock, waiter);

        final List<Thread> appenders = new ArrayList<>();
        for (int i = 0; i < APPENDERS; i++)
        {
            final Thread appender = new Thread(() ->
            {
                lock.lockForAppend("append");
                order.add("appender");
                lock.unlock();
            }, "appender-" + i);
            appenders.add(appender);
            appender.start();
        }
        for (final Thread appender : appenders)
        {
            awaitQueued(lock, appender);
            awaitParked(appender);
        }
        assertThat(order).isEmpty();

        lock.unlock();
        waiter.join(JOIN_MILLIS);
        for (final Thread appender : appenders)
        {
            appender.join(JOIN_MILLIS);
        }
        assertThat(order).hasSize(1 + APPENDERS).first().isEqualTo("waiter");
        assertThat(lock.isLocked()).isFalse();
    }

    @Test
    void anAppenderSpinsBeforeItQueuesBehindAHolderAndQueuesWhenTheHolderKeepsTheLock() throws Exception
    {
        final AppendLock lock = new AppendLock();
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Thread holder = new Thread(() ->
        {
            lock.lock();
            held.countDown();
            try
            {
                release.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            finally
            {
                lock.unlock();
            }
        }, "holder");
        holder.start();
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();

        final List<String> order = new CopyOnWriteArrayList<>();
        final Thread appender = new Thread(() ->
        {
            lock.lockForAppend("append");
            order.add("appender");
            lock.unlock();
        }, "appender");
        appender.start();
        // A holder that keeps the lock past the spin and the yields: the appender then parks in the queue rather
        // than burn a core for as long as the holder takes.
        while (!lock.hasQueuedThread(appender))
        {
            assertThat(appender.isAlive()).as("the appender took a lock that is held").isTrue();
            Thread.onSpinWait();
        }
        assertThat(order).isEmpty();
        release.countDown();
        appender.join(TimeUnit.SECONDS.toMillis(30));
        holder.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(order).containsExactly("appender");
        assertThat(lock.isLocked()).isFalse();
    }

    @Test
    void bothKindsOfCallerReenter()
    {
        final AppendLock lock = new AppendLock();
        lock.lock();
        lock.lockForAppend("append");
        lock.lock();
        assertThat(lock.getHoldCount()).isEqualTo(3);
        lock.unlock();
        lock.unlock();
        lock.unlock();
        assertThat(lock.isLocked()).isFalse();

        lock.lockForAppend("append");
        lock.lock();
        assertThat(lock.getHoldCount()).isEqualTo(2);
        lock.unlock();
        lock.unlock();
        assertThat(lock.isLocked()).isFalse();
    }

    /**
     * Wait, at most {@link #PARK_BOUND_NANOS}, until {@code thread} is in the lock's queue: an appender that spins
     * instead never gets there.
     */
    private static void awaitQueued(final AppendLock lock, final Thread thread)
    {
        final long deadline = System.nanoTime() + PARK_BOUND_NANOS;
        while (!lock.hasQueuedThread(thread))
        {
            assertThat(thread.isAlive()).as(thread.getName() + " took a lock that is held").isTrue();
            assertThat(System.nanoTime() - deadline).as(thread.getName() + " is still not queued for the lock")
                .isNegative();
            Thread.onSpinWait();
        }
    }

    private static void awaitParked(final Thread thread)
    {
        final long deadline = System.nanoTime() + PARK_BOUND_NANOS;
        while (thread.getState() != Thread.State.WAITING)
        {
            assertThat(System.nanoTime() - deadline).as(thread.getName() + " queued but is not parked: " +
                thread.getState()).isNegative();
            Thread.onSpinWait();
        }
    }
}
