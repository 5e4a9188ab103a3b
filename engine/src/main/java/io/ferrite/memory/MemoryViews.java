package io.ferrite.memory;

import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoredMessage;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The flyweight one thread's reads of a {@link MemoryStreamStore} wrap a record with, and one more for each handler of
 * {@code read} running on the thread: a handler may read the store again, and the view it was handed must stay on its
 * own record. A read inside a handler takes the flyweight a level down, allocated at the first such read and kept, so
 * reads nested in no handler allocate nothing.
 * <p>
 * Threading: one thread's (the store keeps them in a {@link ThreadLocal}).
 */
final class MemoryViews
{
    private final MessageView view = new MessageView();
    private boolean handedOver;
    private MemoryViews nested;

    /**
     * @return the flyweight a read may wrap now: this one, or the first below it that no running handler holds.
     */
    MemoryViews free()
    {
        MemoryViews free = this;
        while (free.handedOver)
        {
            if (null == free.nested)
            {
                free.nested = new MemoryViews();
            }
            free = free.nested;
        }
        return free;
    }

    StoredMessage copy(final UnsafeBuffer record)
    {
        return view.wrap(record, 0).toStoredMessage();
    }

    /**
     * Run {@code handler} over {@code record}, holding this flyweight until it returns.
     */
    void handOver(final UnsafeBuffer record, final MessageHandler handler)
    {
        handedOver = true;
        try
        {
            handler.onMessage(view.wrap(record, 0));
        }
        finally
        {
            handedOver = false;
        }
    }
}
