package io.ferrite.store;

/**
 * An append refused because the stream is full under {@link Discard#NEW}. Nothing was written; the message names the
 * limit, its value and the stream.
 */
public final class LimitExceededException extends IllegalStateException
{
    /**
     * The limit an append would have exceeded.
     */
    public enum Limit
    {
        MAX_MSGS("maxMsgs"),
        MAX_BYTES("maxBytes"),
        MAX_MSGS_PER_SUBJECT("maxMsgsPerSubject");

        private final String configName;

        Limit(final String configName)
        {
            this.configName = configName;
        }

        /** @return the name of the {@link StreamConfig.Builder} setting. */
        public String configName()
        {
            return configName;
        }
    }

    private final Limit limit;
    private final long value;

    public LimitExceededException(final String stream, final Limit limit, final long value, final String detail)
    {
        super("stream " + stream + " is full: " + limit.configName() + " " + value + " reached (discard NEW)" +
            (null == detail ? "" : ": " + detail));
        this.limit = limit;
        this.value = value;
    }

    /** @return which limit was hit. */
    public Limit limit()
    {
        return limit;
    }

    /** @return the limit's configured value. */
    public long value()
    {
        return value;
    }
}
