package io.ferrite.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A reusable flyweight over the space claimed for one message by {@link StreamStore#tryClaim}: the caller encodes the
 * headers and payload straight into {@link #buffer()} at {@link #headersOffset()} and {@link #payloadOffset()}, then
 * calls {@link #commit()} to publish the message or {@link #abort()} to drop it. Allocate one per appending thread and
 * reuse it for every claim; nothing here allocates.
 * <pre>
 * final MessageClaim claim = new MessageClaim();               // once
 * store.tryClaim(subject, 0, 16, claim);
 * try
 * {
 *     claim.buffer().putLong(claim.payloadOffset(), price);
 *     claim.buffer().putLong(claim.payloadOffset() + 8, quantity);
 * }
 * catch (final RuntimeException ex)
 * {
 *     claim.abort();
 *     throw ex;
 * }
 * final long seq = claim.commit();
 * </pre>
 * While a claim is open its store's append lock is held: every other append, removal, flush capture and state write
 * of the store waits for {@link #commit()} or {@link #abort()}, so encode promptly, and commit or abort on the thread
 * that claimed, whatever happens (as above): a thread that ends with its claim open leaves the lock held for good
 * ({@link StreamStore#tryClaim}). The buffer is bounded to exactly the claimed bytes, and is not to be used after the
 * claim ends.
 * <p>
 * Threading: one thread at a time, the one that claimed.
 */
public final class MessageClaim
{
    /**
     * What a store implements to finish its claims. Not for applications: they call {@link MessageClaim#commit()}
     * and {@link MessageClaim#abort()}.
     */
    public interface Committer
    {
        /**
         * Publish the claimed message. Called once per claim, on the claiming thread, after the claim closed.
         *
         * @return the message's sequence.
         */
        long commit(MessageClaim claim);

        /**
         * Drop the claimed message. Called once per claim, on the claiming thread, after the claim closed.
         */
        void abort(MessageClaim claim);
    }

    private static final byte[] NO_BYTES = new byte[0];
    private static final int IDLE = 0;
    private static final int OPEN = 1;
    private static final int COMMITTED = 2;
    private static final int ABORTED = 3;

    private final UnsafeBuffer buffer = new UnsafeBuffer(NO_BYTES);
    private Committer committer;
    private Thread claimant;
    private int state = IDLE;
    private long sequence;
    private int headersOffset;
    private int headersLength;
    private int payloadLength;

    /**
     * Open this claim over {@code length} bytes of {@code region} from {@code offset}: the headers first, then the
     * payload. For store implementations, from {@link StreamStore#tryClaim}.
     *
     * @throws IllegalStateException when this claim is still open.
     */
    public void wrap(
        final Committer committer, final long sequence, final DirectBuffer region, final int offset,
        final int headersLength, final int payloadLength)
    {
        if (OPEN == state)
        {
            throw new IllegalStateException("claim is still open for sequence " + this.sequence +
                ": commit or abort it before claiming again");
        }
        buffer.wrap(region, offset, headersLength + payloadLength);
        this.committer = committer;
        this.claimant = Thread.currentThread();
        this.sequence = sequence;
        this.headersOffset = 0;
        this.headersLength = headersLength;
        this.payloadLength = payloadLength;
        this.state = OPEN;
    }

    /**
     * @return the claimed bytes; write the headers and payload here. Bounds-checked to the claim.
     */
    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int headersOffset()
    {
        return headersOffset;
    }

    public int headersLength()
    {
        return headersLength;
    }

    public int payloadOffset()
    {
        return headersOffset + headersLength;
    }

    public int payloadLength()
    {
        return payloadLength;
    }

    /**
     * @return the sequence the message takes when committed (the last one claimed, once the claim ended).
     */
    public long sequence()
    {
        return sequence;
    }

    /**
     * @return whether this claim is open: claimed, and neither committed nor aborted.
     */
    public boolean isOpen()
    {
        return OPEN == state;
    }

    /**
     * Publish the message: it gets {@link #sequence()}, readers see it, and the append lock is released. In
     * {@link SyncMode#ALWAYS} mode this returns once the message is durable, as {@link StreamStore#append} does.
     *
     * @return the message's sequence.
     * @throws IllegalStateException when the claim is not open (never claimed, committed or aborted already), or
     *                               this is not the thread that claimed.
     */
    public long commit()
    {
        final Committer owner = close("commit", COMMITTED);
        return owner.commit(this);
    }

    /**
     * Drop the message: nothing is stored, the sequence is not consumed (the next append takes it), and the append
     * lock is released.
     *
     * @throws IllegalStateException when the claim is not open (never claimed, committed or aborted already), or
     *                               this is not the thread that claimed.
     */
    public void abort()
    {
        final Committer owner = close("abort", ABORTED);
        owner.abort(this);
    }

    private Committer close(final String operation, final int outcome)
    {
        if (OPEN != state)
        {
            throw new IllegalStateException("cannot " + operation + ": the claim is " + describe(state) +
                (IDLE == state ? "" : " (sequence " + sequence + ")"));
        }
        if (Thread.currentThread() != claimant)
        {
            throw new IllegalStateException("cannot " + operation + " from thread " +
                Thread.currentThread().getName() + ": sequence " + sequence + " was claimed by thread " +
                claimant.getName() + ", which holds the append lock");
        }
        final Committer owner = committer;
        state = outcome;
        committer = null;
        claimant = null;
        buffer.wrap(NO_BYTES);
        return owner;
    }

    private static String describe(final int state)
    {
        switch (state)
        {
            case IDLE:
                return "not claimed yet";
            case COMMITTED:
                return "already committed";
            case ABORTED:
                return "already aborted";
            default:
                return "open";
        }
    }

    @Override
    public String toString()
    {
        return "MessageClaim{state=" + describe(state) + ", sequence=" + sequence + ", headersLength=" +
            headersLength + ", payloadLength=" + payloadLength + '}';
    }
}
