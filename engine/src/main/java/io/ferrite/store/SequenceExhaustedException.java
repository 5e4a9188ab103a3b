package io.ferrite.store;

import io.ferrite.format.RecordDescriptor;

/**
 * The stream has assigned its highest possible sequence, {@link RecordDescriptor#MAX_SEQUENCE} (2^62 - 1): an
 * {@code append} or {@code skip} has no sequence left to take. Nothing was written, and nothing will be until a
 * {@code truncate} lowers the last sequence.
 * <p>
 * A {@link StoreException} rather than an {@link IllegalStateException} like {@link LimitExceededException}: that one
 * is a configured limit the caller can lift, this is a permanent property of what the stream holds on disk (like
 * {@link StoreClosedException}, a state of the store, not a bad argument), and {@link #seq()} carries the sequence that
 * could not be assigned. An {@code appendAt} above the ceiling is a bad argument and fails as one
 * ({@link IllegalArgumentException} naming the range).
 */
public final class SequenceExhaustedException extends StoreException
{
    public SequenceExhaustedException(final String stream, final long seq)
    {
        super("stream " + stream + " has no sequence left: sequence " + seq + " is above the highest a stream may " +
            "assign, " + RecordDescriptor.MAX_SEQUENCE + " (2^62 - 1, RecordDescriptor.MAX_SEQUENCE); nothing was " +
            "written, and nothing can be until truncate lowers the last sequence", null, UNKNOWN, seq);
    }

    /**
     * @return the highest sequence a stream may assign.
     */
    public long limit()
    {
        return RecordDescriptor.MAX_SEQUENCE;
    }
}
