package io.ferrite.engine.flush;

import io.ferrite.store.StoreException;

/**
 * Told when the flusher's durable sequence changes and when a force fails: the hook through which the store publishes
 * the durable position to lock-free readers and tells its listeners.
 * <p>
 * Threading: {@link #onDurableSeq} under the flusher's truncation monitor — on the flusher thread after a force, on
 * the truncating thread (which holds the append lock) when a truncation lowers it — so calls never overtake each other;
 * it must only publish, never call out, or a callee that waits for the append lock would deadlock with a truncation.
 * {@link #afterDurableSeq} and {@link #onForceFailed} where the force cycle ran, with no lock of the store held: on
 * the flusher thread, or — before the flusher's thread started and from its close on — on the thread of the
 * {@code flush()} that ran the cycle, inside the flusher's monitor. Where user code runs.
 */
public interface DurabilityListener
{
    DurabilityListener NONE = new DurabilityListener()
    {
        @Override
        public void onDurableSeq(final long durableSeq)
        {
        }

        @Override
        public void afterDurableSeq(final long durableSeq)
        {
        }

        @Override
        public void onForceFailed(final StoreException failure)
        {
        }
    };

    /**
     * The durable sequence is now {@code durableSeq} (raised by a force, or lowered by a truncation).
     */
    void onDurableSeq(long durableSeq);

    /**
     * A force raised the durable sequence to {@code durableSeq}, published by {@link #onDurableSeq} just before; a
     * truncation may have lowered it again since.
     */
    void afterDurableSeq(long durableSeq);

    void onForceFailed(StoreException failure);
}
