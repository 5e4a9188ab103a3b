package io.ferrite.store;

import java.nio.file.Path;

/**
 * A commit whose record was written but whose force failed (or never ran, because the store closed first): its
 * outcome is unknown. The record sits in the page cache; the kernel may still have written it back, or may have
 * dropped it, and a failed {@code fsync} gives no way to tell which. So it may or may not be present after the store
 * is reopened — neither "failed" nor "committed" would be the truth.
 * <p>
 * What the store does promise about it:
 * <ul>
 *   <li>In this process it is never shown to readers ({@code load}, {@code read}, {@code loadNext}, {@code loadLast}
 *   see nothing beyond the durable sequence in {@link SyncMode#ALWAYS} mode), and no later commit succeeds: the store
 *   refuses every append until it is reopened.</li>
 *   <li>{@link #seq()} is the sequence the record took. After reopening, {@code load(seq())} answers: the reopen
 *   forces what recovery found before reporting it durable, so a message there is committed from then on. Compare it
 *   with what was appended (an id in the headers, say): if the record was lost, the reopened stream may assign
 *   {@code seq()} to a later append. A caller that retries without checking may store the message twice.</li>
 * </ul>
 * Distinct from the {@link StoreIOException} "append refused: an earlier force failed", which means nothing was
 * written.
 */
public final class CommitOutcomeUnknownException extends StoreException
{
    private final String operation;

    /**
     * @param operation what was committed ("append", "skip", "removal").
     * @param seq       the sequence the record took (for a removal, the sequence removed).
     * @param file      the file whose force failed, when known.
     * @param cause     the force's failure.
     */
    public CommitOutcomeUnknownException(
        final String operation, final long seq, final Path file, final Throwable cause)
    {
        super(operation + " of sequence " + seq + " was written but not made durable, its outcome is unknown: it may " +
            "or may not be present after the store is reopened (check load(" + seq + ") then); cause: " +
            (null == cause ? "unknown" : cause.getMessage()), file, UNKNOWN, seq, cause);
        this.operation = operation;
    }

    /**
     * @return what was committed: "append", "skip" or "removal".
     */
    public String operation()
    {
        return operation;
    }
}
