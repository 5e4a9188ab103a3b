package io.ferrite.store;

import org.agrona.ErrorHandler;

import java.util.Arrays;
import java.util.Objects;

/**
 * The {@link StreamListener}s registered with one store, for {@link StreamStore} implementations: each event goes to
 * every listener in registration order, and a listener that throws is reported to the store's {@link ErrorHandler}
 * and stays registered, so one faulty listener neither stops the others nor fails the store's operation. An
 * {@link Error} is not caught: it means the JVM is in trouble, and it goes up through the store's operation. Not for
 * applications, which call {@link StreamStore#addListener}.
 * <p>
 * The listeners are a copy-on-write array: an event with none registered costs the load of an empty array and a
 * length check, and allocates nothing.
 * <p>
 * Threading: {@link #add} and closing its result from any thread; each event on the thread {@link StreamListener}
 * documents for it.
 */
public final class ListenerSet
{
    private static final StreamListener[] NONE = new StreamListener[0];

    private final String streamName;
    private final ErrorHandler errorHandler;
    private volatile StreamListener[] listeners = NONE;

    /**
     * @param streamName   named in the failures reported.
     * @param errorHandler told of every exception a listener throws, wrapped in one naming the stream, the listener
     *                     and the event.
     */
    public ListenerSet(final String streamName, final ErrorHandler errorHandler)
    {
        this.streamName = Objects.requireNonNull(streamName, "streamName");
        this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
    }

    /**
     * @return closing it removes this registration of {@code listener}; idempotent. A listener added twice is told
     * each event twice, and stays registered once until both registrations are closed.
     */
    public AutoCloseable add(final StreamListener listener)
    {
        Objects.requireNonNull(listener, "listener");
        synchronized (this)
        {
            final StreamListener[] current = listeners;
            final StreamListener[] grown = Arrays.copyOf(current, current.length + 1);
            grown[current.length] = listener;
            listeners = grown;
        }
        return new Registration(listener);
    }

    /**
     * One {@link #add}: closing it twice must not remove a second registration of the same listener.
     */
    private final class Registration implements AutoCloseable
    {
        private final StreamListener listener;
        private boolean closed;

        Registration(final StreamListener listener)
        {
            this.listener = listener;
        }

        @Override
        public void close()
        {
            synchronized (ListenerSet.this)
            {
                if (!closed)
                {
                    closed = true;
                    remove(listener);
                }
            }
        }
    }

    private synchronized void remove(final StreamListener listener)
    {
        final StreamListener[] current = listeners;
        for (int i = 0; i < current.length; i++)
        {
            if (current[i] == listener)
            {
                final StreamListener[] shrunk = new StreamListener[current.length - 1];
                System.arraycopy(current, 0, shrunk, 0, i);
                System.arraycopy(current, i + 1, shrunk, i, current.length - i - 1);
                listeners = shrunk.length == 0 ? NONE : shrunk;
                return;
            }
        }
    }

    public void onAppended(final long seq, final int bytes)
    {
        final StreamListener[] current = listeners;
        for (int i = 0; i < current.length; i++)
        {
            try
            {
                current[i].onAppended(seq, bytes);
            }
            catch (final RuntimeException ex)
            {
                failed(current[i], "onAppended(" + seq + ")", ex);
            }
        }
    }

    public void onRemoved(final long seq)
    {
        final StreamListener[] current = listeners;
        for (int i = 0; i < current.length; i++)
        {
            try
            {
                current[i].onRemoved(seq);
            }
            catch (final RuntimeException ex)
            {
                failed(current[i], "onRemoved(" + seq + ")", ex);
            }
        }
    }

    public void onRemovedRange(final long fromSeq, final long toSeq)
    {
        final StreamListener[] current = listeners;
        for (int i = 0; i < current.length; i++)
        {
            try
            {
                current[i].onRemovedRange(fromSeq, toSeq);
            }
            catch (final RuntimeException ex)
            {
                failed(current[i], "onRemovedRange(" + fromSeq + ", " + toSeq + ")", ex);
            }
        }
    }

    public void onTruncated(final long seq)
    {
        final StreamListener[] current = listeners;
        for (int i = 0; i < current.length; i++)
        {
            try
            {
                current[i].onTruncated(seq);
            }
            catch (final RuntimeException ex)
            {
                failed(current[i], "onTruncated(" + seq + ")", ex);
            }
        }
    }

    public void onDurable(final long seq)
    {
        final StreamListener[] current = listeners;
        for (int i = 0; i < current.length; i++)
        {
            try
            {
                current[i].onDurable(seq);
            }
            catch (final RuntimeException ex)
            {
                failed(current[i], "onDurable(" + seq + ")", ex);
            }
        }
    }

    public void onFailure(final StoreException failure)
    {
        final StreamListener[] current = listeners;
        for (int i = 0; i < current.length; i++)
        {
            try
            {
                current[i].onFailure(failure);
            }
            catch (final RuntimeException ex)
            {
                failed(current[i], "onFailure(" + failure.getMessage() + ")", ex);
            }
        }
    }

    private void failed(final StreamListener listener, final String event, final RuntimeException ex)
    {
        errorHandler.onError(new IllegalStateException("stream " + streamName + ": listener " + listener +
            " threw from " + event + "; it stays registered and the store carried on", ex));
    }
}
