package io.ferrite.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The append lock lets a thread announced in {@code lock()} (the flusher's capture, a state write) in ahead of
 * appenders, which would otherwise barge back in and starve it, and stays re-entrant for both kinds of caller.
 */
class AppendLockTest
{
    /** Checks that an appender stays out of the lock's queue while a waiter is announced: far more than it needs. */
    private static final int CHECKS = 200_000;

    @Test
    void anAppenderWaitsOutsideTheQueueUntilAnAnnouncedWaiterHasTheLock() throws Exception
    {
        final AppendLock lock = new AppendLock();
        final List<String> order = new CopyOnWriteArrayList<>();
        lock.lockForAppend();
        final Thread waiter = new Thread(() ->
        {
            lock.lock();
            order.add("waiter");
            lock.unlock();
        }, "announced-waiter");
        waiter.start();
        while (!lock.hasQueuedThread(waiter))
        {
            Thread.onSpinWait();
        }

        final CountDownLatch appending = new CountDownLatch(1);
        final Thread appender = new Thread(() ->
        {
            appending.countDown();
            lock.lockForAppend();
            order.add("appender");
            lock.unlock();
        }, "appender");
        appender.start();
        assertThat(appending.await(30, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < CHECKS; i++)
        {
            assertThat(lock.hasQueuedThread(appender))
                .as("the appender queued ahead of the announced waiter").isFalse();
        }

        lock.unlock();
        waiter.join(TimeUnit.SECONDS.toMillis(30));
        appender.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(order).containsExactly("waiter", "appender");
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
            lock.lockForAppend();
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
        lock.lockForAppend();
        lock.lock();
        assertThat(lock.getHoldCount()).isEqualTo(3);
        lock.unlock();
        lock.unlock();
        lock.unlock();
        assertThat(lock.isLocked()).isFalse();

        lock.lockForAppend();
        lock.lock();
        assertThat(lock.getHoldCount()).isEqualTo(2);
        lock.unlock();
        lock.unlock();
        assertThat(lock.isLocked()).isFalse();
    }
}
