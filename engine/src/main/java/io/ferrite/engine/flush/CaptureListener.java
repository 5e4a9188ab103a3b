package io.ferrite.engine.flush;

/**
 * Told of each force cycle that makes the whole stream durable as of one moment: a capture of everything written so
 * far, then, once its forces and the directory sync returned normally, that it is durable. The state writer uses it to
 * take an image of the in-memory state at exactly the moment the force describes, and to know when that image may be
 * written to {@code state.db} without waiting for anything.
 * <p>
 * Threading: both calls come from the one thread running force cycles (the flusher, or a caller after it stopped),
 * {@link #onCapture} with the append lock held.
 */
public interface CaptureListener
{
    /** Does nothing: a flusher with no state writer. */
    CaptureListener NONE = new CaptureListener()
    {
        @Override
        public void onCapture(final boolean flushAsked)
        {
        }

        @Override
        public void onDurable()
        {
        }
    };

    /**
     * Under the append lock, after a cycle captured everything written so far (not for a cycle that forces only
     * sealed blocks). Must only copy memory: appenders are waiting.
     *
     * @param flushAsked the cycle serves an explicit {@code flush()}: a caller is waiting for a durable point anyway,
     *                   so it is a good moment to take a state image even if no state write asked for one.
     */
    void onCapture(boolean flushAsked);

    /**
     * The cycle whose capture was last reported made everything it captured durable. Not called when its force
     * failed, or when a truncation since the capture made it prove nothing.
     */
    void onDurable();
}
