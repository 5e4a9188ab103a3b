package io.ferrite.store;

import java.nio.file.Path;

/**
 * A stream snapshot that cannot be restored: damaged (a checksum that does not match), cut short, of an unknown format,
 * or naming a file a stream directory cannot hold. Nothing was published: the target directory is as it was. The
 * message names the entry, the byte offset in the snapshot and what was expected against what was found;
 * {@link #file()} is the target directory.
 */
public final class CorruptSnapshotException extends StoreException
{
    private final String entry;
    private final long snapshotOffset;

    public CorruptSnapshotException(
        final String message, final Path target, final String entry, final long snapshotOffset)
    {
        super((null == entry ? "" : "entry " + entry + ": ") + message + " (at snapshot offset " + snapshotOffset + ")",
            target, UNKNOWN, UNKNOWN);
        this.entry = entry;
        this.snapshotOffset = snapshotOffset;
    }

    /**
     * @return the relative path of the entry at fault, or null when the problem is in the header or the trailer (or an
     * entry header whose path could not be trusted).
     */
    public String entry()
    {
        return entry;
    }

    /**
     * @return the byte offset in the snapshot where the problem was found: the start of the field or part at fault.
     */
    public long snapshotOffset()
    {
        return snapshotOffset;
    }
}
