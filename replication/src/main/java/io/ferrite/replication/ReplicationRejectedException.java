package io.ferrite.replication;

/**
 * A command the replicated stream refused deterministically, on every peer alike (a subject the stream rejects, a
 * malformed command, limits it cannot replicate): it was committed to the Raft log, changed nothing and, for an append,
 * took no sequence. Retrying it unchanged is refused again.
 */
public final class ReplicationRejectedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public ReplicationRejectedException(final String message)
    {
        super(message);
    }
}
