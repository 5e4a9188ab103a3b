package io.ferrite.engine.agent;

import java.util.concurrent.CountDownLatch;

/**
 * Waits that must not be cut short: a close waiting for a thread's last force, or for another caller's close, has to
 * see it end whatever the caller's interrupt status. An interrupt received meanwhile is kept and set again on return.
 */
public final class Uninterruptibles
{
    private Uninterruptibles()
    {
    }

    /**
     * Wait until {@code latch} reaches zero.
     */
    public static void await(final CountDownLatch latch)
    {
        boolean interrupted = false;
        while (latch.getCount() > 0)
        {
            try
            {
                latch.await();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Wait until {@code thread} has ended.
     */
    public static void join(final Thread thread)
    {
        boolean interrupted = false;
        while (thread.isAlive())
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
