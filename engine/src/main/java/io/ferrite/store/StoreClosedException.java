package io.ferrite.store;

/**
 * An operation on a store after {@link StreamStore#close()}.
 */
public final class StoreClosedException extends StoreException
{
    public StoreClosedException(final String streamName)
    {
        super("stream " + streamName + " is closed", null, UNKNOWN, UNKNOWN);
    }
}
