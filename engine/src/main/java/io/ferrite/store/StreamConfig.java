package io.ferrite.store;

import io.ferrite.block.BlockDescriptor;
import io.ferrite.block.RecordDescriptor;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a stream is stored. Immutable; build with {@link #builder(String)}.
 * <pre>
 * StreamConfig config = StreamConfig.builder("orders").blockSize(8 &lt;&lt; 20).maxMsgSize(1 &lt;&lt; 20).build();
 * </pre>
 */
public final class StreamConfig
{
    /** 8 MiB: a block is one mapping and one file; large enough that rolls are rare, small enough to preallocate fast. */
    public static final int BLOCK_SIZE_DEFAULT = 8 << 20;
    /** Smallest block: one page. Tests use it to make thousands of blocks cheaply. */
    public static final int BLOCK_SIZE_MIN = 4096;
    /** A block is one mapping indexed by int offsets. */
    public static final int BLOCK_SIZE_MAX = 1 << 30;
    /** 1 MiB of headers plus payload, as JetStream's default max payload order of magnitude. */
    public static final int MAX_MSG_SIZE_DEFAULT = 1 << 20;
    /** An operation slower than this logs one warning with its phase breakdown. */
    public static final Duration SLOW_OPERATION_THRESHOLD_DEFAULT = Duration.ofMillis(100);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,255}");

    private final String name;
    private final int blockSize;
    private final int maxMsgSize;
    private final Duration slowOperationThreshold;
    private final byte[] encryptionKey;

    private StreamConfig(final Builder builder)
    {
        this.encryptionKey = builder.encryptionKey;
        this.name = builder.name;
        this.blockSize = builder.blockSize;
        this.maxMsgSize = builder.maxMsgSize;
        this.slowOperationThreshold = builder.slowOperationThreshold;
    }

    public static Builder builder(final String name)
    {
        return new Builder(name);
    }

    /** A builder holding this configuration, to derive a changed copy. */
    public Builder toBuilder()
    {
        final Builder builder = new Builder(name).blockSize(blockSize).maxMsgSize(maxMsgSize)
            .slowOperationThreshold(slowOperationThreshold);
        return null == encryptionKey ? builder : builder.encryptionKey(encryptionKey);
    }

    /**
     * @return whether the stream is encrypted.
     */
    public boolean encrypted()
    {
        return null != encryptionKey;
    }

    /**
     * @return a copy of the caller's 32-byte key, or null for a plaintext stream.
     */
    public byte[] encryptionKey()
    {
        return null == encryptionKey ? null : encryptionKey.clone();
    }

    /**
     * @return bytes of a block that records may use: all but the header, and for an encrypted block its footer.
     */
    public int blockCapacity()
    {
        return blockSize - (encrypted() ? io.ferrite.crypto.BlockFooterCodec.FOOTER_LENGTH : 0);
    }

    public String name()
    {
        return name;
    }

    public int blockSize()
    {
        return blockSize;
    }

    public int maxMsgSize()
    {
        return maxMsgSize;
    }

    public Duration slowOperationThreshold()
    {
        return slowOperationThreshold;
    }

    @Override
    public String toString()
    {
        return "StreamConfig{name=" + name + ", blockSize=" + blockSize + ", maxMsgSize=" + maxMsgSize +
            ", slowOperationThreshold=" + slowOperationThreshold + ", encrypted=" + encrypted() + '}';
    }

    public static final class Builder
    {
        private final String name;
        private int blockSize = BLOCK_SIZE_DEFAULT;
        private int maxMsgSize = MAX_MSG_SIZE_DEFAULT;
        private Duration slowOperationThreshold = SLOW_OPERATION_THRESHOLD_DEFAULT;
        private byte[] encryptionKey;

        private Builder(final String name)
        {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches())
            {
                throw new IllegalArgumentException(
                    "name must be 1 to 255 characters of A-Z, a-z, 0-9, '_' or '-': '" + name + "'");
            }
            this.name = name;
        }

        /**
         * @param blockSize bytes per block file, a multiple of 4096 in [4096, 2^30].
         */
        public Builder blockSize(final int blockSize)
        {
            if (blockSize < BLOCK_SIZE_MIN || blockSize > BLOCK_SIZE_MAX || (blockSize & (BLOCK_SIZE_MIN - 1)) != 0)
            {
                throw new IllegalArgumentException(
                    "blockSize must be a multiple of 4096 in [4096, 1073741824]: " + blockSize);
            }
            this.blockSize = blockSize;
            return this;
        }

        /**
         * @param maxMsgSize the largest headers plus payload accepted, in bytes, at least 0.
         */
        public Builder maxMsgSize(final int maxMsgSize)
        {
            if (maxMsgSize < 0)
            {
                throw new IllegalArgumentException("maxMsgSize must be >= 0: " + maxMsgSize);
            }
            this.maxMsgSize = maxMsgSize;
            return this;
        }

        public Builder slowOperationThreshold(final Duration threshold)
        {
            Objects.requireNonNull(threshold, "slowOperationThreshold");
            if (threshold.isNegative())
            {
                throw new IllegalArgumentException("slowOperationThreshold must be >= 0: " + threshold);
            }
            this.slowOperationThreshold = threshold;
            return this;
        }

        /**
         * Encrypt the stream. The key wraps a random stream key kept in {@code stream.key}; every block is sealed with
         * its own key derived from it. Without the same key the stream cannot be opened.
         *
         * @param key32 exactly 32 bytes; copied.
         */
        public Builder encryptionKey(final byte[] key32)
        {
            Objects.requireNonNull(key32, "encryptionKey");
            if (key32.length != 32)
            {
                throw new IllegalArgumentException("encryptionKey must be exactly 32 bytes: " + key32.length);
            }
            this.encryptionKey = key32.clone();
            return this;
        }

        public StreamConfig build()
        {
            final boolean encrypted = null != encryptionKey;
            final long largestFrame =
                RecordDescriptor.frameLengthForContent((long)maxMsgSize + MAX_SUBJECT_ROOM, encrypted) +
                (encrypted ? io.ferrite.crypto.BlockFooterCodec.FOOTER_LENGTH : 0);
            if (BlockDescriptor.DATA_OFFSET + largestFrame > blockSize)
            {
                throw new IllegalArgumentException("maxMsgSize " + maxMsgSize + " does not fit a block of " +
                    blockSize + " bytes: maxMsgSize must be <= " +
                    (blockSize - BlockDescriptor.DATA_OFFSET - RecordDescriptor.MIN_FRAME_LENGTH - MAX_SUBJECT_ROOM) +
                    " (or raise blockSize)");
            }
            return new StreamConfig(this);
        }
    }

    /** Room kept in a block for the subject of the largest message: subjects up to 255 bytes always fit. */
    static final int MAX_SUBJECT_ROOM = 256;
}
