package io.ferrite.store;

import java.nio.file.Path;

/**
 * A storage failure. Carries the file, the byte offset and the sequence involved when they are known, so an operator
 * can find the damage without a debugger.
 */
public class StoreException extends RuntimeException
{
    /** Marks an unknown offset or sequence. */
    public static final long UNKNOWN = -1;

    private final Path file;
    private final long offset;
    private final long seq;

    public StoreException(final String message, final Path file, final long offset, final long seq,
        final Throwable cause)
    {
        super(describe(message, file, offset, seq), cause);
        this.file = file;
        this.offset = offset;
        this.seq = seq;
    }

    public StoreException(final String message, final Path file, final long offset, final long seq)
    {
        this(message, file, offset, seq, null);
    }

    public StoreException(final String message, final Path file, final Throwable cause)
    {
        this(message, file, UNKNOWN, UNKNOWN, cause);
    }

    /** The file involved, or null when none is. */
    public Path file()
    {
        return file;
    }

    /** The byte offset in {@link #file()}, or {@link #UNKNOWN}. */
    public long offset()
    {
        return offset;
    }

    /** The sequence involved, or {@link #UNKNOWN}. */
    public long seq()
    {
        return seq;
    }

    private static String describe(final String message, final Path file, final long offset, final long seq)
    {
        final StringBuilder sb = new StringBuilder(message);
        if (null != file)
        {
            sb.append(" [file=").append(file);
            if (offset != UNKNOWN)
            {
                sb.append(", offset=").append(offset);
            }
            if (seq != UNKNOWN)
            {
                sb.append(", seq=").append(seq);
            }
            sb.append(']');
        }
        else if (seq != UNKNOWN)
        {
            sb.append(" [seq=").append(seq).append(']');
        }
        return sb.toString();
    }
}
