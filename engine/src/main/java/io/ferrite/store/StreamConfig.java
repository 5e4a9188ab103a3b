package io.ferrite.store;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * How a stream is stored. Immutable; build with {@link #builder(String)}.
 * <pre>
 * StreamConfig config = StreamConfig.builder("orders").blockSize(8 &lt;&lt; 20).maxMsgSize(1 &lt;&lt; 20).build();
 * </pre>
 */
public final class StreamConfig
{
    /** 8 MiB: a block is one mapping and one file; large enough that rolls are rare,
        small enough to preallocate fast. */
    public static final int BLOCK_SIZE_DEFAULT = 8 << 20;
    /** Smallest block: one page. Tests use it to make thousands of blocks cheaply. */
    public static final int BLOCK_SIZE_MIN = 4096;
    /** A block is one mapping indexed by int offsets. */
    public static final int BLOCK_SIZE_MAX = BlockDescriptor.MAX_BLOCK_LENGTH;
    /** 1 MiB of headers plus payload, as JetStream's default max payload order of magnitude. */
    public static final int MAX_MSG_SIZE_DEFAULT = 1 << 20;
    /** An operation slower than this logs one warning with its phase breakdown. */
    public static final Duration SLOW_OPERATION_THRESHOLD_DEFAULT = Duration.ofMillis(100);
    /**
     * {@link SyncMode#INTERVAL}: appends never wait on the disk, and what a power cut can take is bounded by
     * {@link #SYNC_INTERVAL_DEFAULT}. {@code ALWAYS} costs a disk round trip per commit, which callers should choose.
     */
    public static final SyncMode SYNC_MODE_DEFAULT = SyncMode.INTERVAL;
    /**
     * 100 ms: ten forces a second cost the flusher about 1 ms of disk time per second here (a 4 KiB {@code fdatasync}
     * takes 0.05-0.12 ms), and a power cut loses at most about 100 ms of appends — inside a client's retry or a
     * replica's catch-up window. JetStream's two-minute default is what lost acknowledged writes under Jepsen.
     */
    public static final Duration SYNC_INTERVAL_DEFAULT = Duration.ofMillis(100);
    /** Longest sync interval accepted: beyond an hour "interval" means "never", which is {@link SyncMode#NONE}. */
    public static final Duration SYNC_INTERVAL_MAX = Duration.ofHours(1);
    /**
     * 64 MiB: in {@link SyncMode#INTERVAL} appends wait for the flusher once this many bytes are written and not yet
     * forced. The interval alone bounds the window only while the disk keeps up: appending 2 MiB blocks flat out
     * (~200 MB/s into the page cache) one force carried 798 blocks and took 8.6 s, so a power cut could have taken
     * 8 s of appends instead of 100 ms. 64 MiB is about 150 ms of appends at the design's target rate (3 M messages
     * of 128 B a second, ~400 MB/s), so the byte bound and the default interval promise about the same window;
     * a force of it takes 0.1-0.35 s on disks that write back 200-600 MB/s (the force ran at ~195 MB/s). It is
     * eight default blocks: a burst of tens of megabytes still lands at page-cache speed, and only a sustained rate
     * above the disk's meets back-pressure. Smaller bounds tighten the promise and cost throughput in bursts
     * (docs/BENCHMARKS.md, {@code IntervalBoundBenchmark}).
     */
    public static final long MAX_UNFORCED_BYTES_DEFAULT = 64L << 20;
    /** Smallest bound: one page, the unit the kernel writes back. A smaller one would not bound anything finer. */
    public static final long MAX_UNFORCED_BYTES_MIN = 4096;
    /** For {@link Builder#maxUnforcedBytes(long)}: no bound (before issue 12); the window grows with the backlog. */
    public static final long UNBOUNDED = -1;
    /**
     * Two block files prepared ahead of the appender: one can be taken at a roll while the next is still being made,
     * so a roll waits only when appends outrun the preparing thread for a whole block (docs/ENGINE.md "Block rolls").
     */
    public static final int PREPARED_BLOCKS_DEFAULT = 2;
    /** At most this many block files prepared ahead; each holds a block's disk space and page cache. */
    public static final int PREPARED_BLOCKS_MAX = 16;
    /**
     * The conventional name of the histogram log in the stream directory: {@code ferrite doctor} reads it from there
     * ({@code histogramLog(dir.resolve(HISTOGRAM_LOG_FILE_NAME), period)}).
     */
    public static final String HISTOGRAM_LOG_FILE_NAME = "histograms.hlog";
    /** 10 s: HdrHistogram's own tools plot intervals of this order; one interval is a few KiB of log. */
    public static final Duration HISTOGRAM_LOG_INTERVAL_DEFAULT = Duration.ofSeconds(10);
    /** Operations whose slow-operation threshold can be set on its own: the names of {@link StoreOperation}. */
    public static final Set<String> TIMED_OPERATIONS =
        Set.copyOf(Arrays.stream(StoreOperation.values()).map(StoreOperation::metricName).toList());

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,255}");

    private final String name;
    private final int blockSize;
    private final int maxMsgSize;
    private final Duration slowOperationThreshold;
    private final SyncMode syncMode;
    private final Duration syncInterval;
    private final long maxUnforcedBytes;
    private final int preparedBlocks;
    private final Map<String, Duration> slowOperationThresholds;
    private final Path histogramLogFile;
    private final Duration histogramLogInterval;
    private final byte[] encryptionKey;
    private final StreamLimits limits;

    private StreamConfig(final Builder builder)
    {
        this.limits = new StreamLimits(builder.maxMsgs, builder.maxBytes, builder.maxAge, builder.maxMsgsPerSubject,
            builder.discard);
        this.encryptionKey = builder.encryptionKey;
        this.name = builder.name;
        this.blockSize = builder.blockSize;
        this.maxMsgSize = builder.maxMsgSize;
        this.slowOperationThreshold = builder.slowOperationThreshold;
        this.syncMode = builder.syncMode;
        this.syncInterval = builder.syncInterval;
        this.maxUnforcedBytes = builder.maxUnforcedBytes;
        this.preparedBlocks = builder.preparedBlocks;
        this.slowOperationThresholds = Map.copyOf(builder.slowOperationThresholds);
        this.histogramLogFile = builder.histogramLogFile;
        this.histogramLogInterval = builder.histogramLogInterval;
    }

    public static Builder builder(final String name)
    {
        return new Builder(name);
    }

    /** A builder holding this configuration, to derive a changed copy. */
    public Builder toBuilder()
    {
        final Builder builder = new Builder(name).blockSize(blockSize).maxMsgSize(maxMsgSize)
            .slowOperationThreshold(slowOperationThreshold)
            .syncMode(syncMode).syncInterval(syncInterval).maxUnforcedBytes(maxUnforcedBytes)
            .preparedBlocks(preparedBlocks).histogramLog(histogramLogFile, histogramLogInterval)
            .maxMsgs(limits.maxMsgs()).maxBytes(limits.maxBytes()).maxAge(limits.maxAge())
            .maxMsgsPerSubject(limits.maxMsgsPerSubject()).discard(limits.discard());
        slowOperationThresholds.forEach(builder::slowOperationThreshold);
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
        return blockSize - (encrypted() ? BlockDescriptor.ENCRYPTED_FOOTER_LENGTH : 0);
    }

    /**
     * @return the retention limits: {@code maxMsgs}, {@code maxBytes}, {@code maxAge}, {@code maxMsgsPerSubject} and
     * the discard policy.
     */
    public StreamLimits limits()
    {
        return limits;
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

    /**
     * @return the threshold for {@code operation} (one of {@link #TIMED_OPERATIONS}): its own when one was set, else
     * {@link #slowOperationThreshold()}.
     */
    public Duration slowOperationThreshold(final String operation)
    {
        return slowOperationThresholds.getOrDefault(operation, slowOperationThreshold);
    }

    /**
     * @return when appends are made durable; {@link #SYNC_MODE_DEFAULT} unless set.
     */
    public SyncMode syncMode()
    {
        return syncMode;
    }

    /**
     * @return how often the flusher forces in {@link SyncMode#INTERVAL}; {@link #SYNC_INTERVAL_DEFAULT} unless set.
     */
    public Duration syncInterval()
    {
        return syncInterval;
    }

    /**
     * @return in {@link SyncMode#INTERVAL}, how many bytes written into blocks may wait for a force before appends
     * wait for the flusher; {@link #UNBOUNDED} for no bound. {@link #MAX_UNFORCED_BYTES_DEFAULT} unless set.
     */
    public long maxUnforcedBytes()
    {
        return maxUnforcedBytes;
    }

    /**
     * @return how many block files are prepared ahead of the appender; {@link #PREPARED_BLOCKS_DEFAULT} unless set.
     */
    public int preparedBlocks()
    {
        return preparedBlocks;
    }

    /**
     * @return the HdrHistogram log file written by the flusher, or null when none is.
     */
    public Path histogramLogFile()
    {
        return histogramLogFile;
    }

    public Duration histogramLogInterval()
    {
        return histogramLogInterval;
    }

    @Override
    public String toString()
    {
        return "StreamConfig{name=" + name + ", blockSize=" + blockSize + ", maxMsgSize=" + maxMsgSize +
            ", slowOperationThreshold=" + slowOperationThreshold + ", syncMode=" + syncMode +
            ", syncInterval=" + syncInterval + ", maxUnforcedBytes=" + maxUnforcedBytes +
            ", preparedBlocks=" + preparedBlocks + ", encrypted=" + encrypted() +
            ", " + limits + '}';
    }

    public static final class Builder
    {
        private final String name;
        private int blockSize = BLOCK_SIZE_DEFAULT;
        private int maxMsgSize = MAX_MSG_SIZE_DEFAULT;
        private Duration slowOperationThreshold = SLOW_OPERATION_THRESHOLD_DEFAULT;
        private SyncMode syncMode = SYNC_MODE_DEFAULT;
        private Duration syncInterval = SYNC_INTERVAL_DEFAULT;
        private long maxUnforcedBytes = MAX_UNFORCED_BYTES_DEFAULT;
        private int preparedBlocks = PREPARED_BLOCKS_DEFAULT;
        private final Map<String, Duration> slowOperationThresholds = new HashMap<>();
        private Path histogramLogFile;
        private Duration histogramLogInterval = HISTOGRAM_LOG_INTERVAL_DEFAULT;
        private byte[] encryptionKey;
        private long maxMsgs = StreamLimits.UNLIMITED;
        private long maxBytes = StreamLimits.UNLIMITED;
        private Duration maxAge = Duration.ZERO;
        private long maxMsgsPerSubject = StreamLimits.UNLIMITED;
        private Discard discard = Discard.OLD;

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
         * A slow-operation threshold for one operation, overriding {@link #slowOperationThreshold(Duration)} for it.
         */
        public Builder slowOperationThreshold(final StoreOperation operation, final Duration threshold)
        {
            return slowOperationThreshold(Objects.requireNonNull(operation, "operation").metricName(), threshold);
        }

        /**
         * A slow-operation threshold for one operation, overriding {@link #slowOperationThreshold(Duration)} for it.
         *
         * @param operation one of {@link #TIMED_OPERATIONS}, e.g. {@code flush} (one force cycle of the flusher).
         */
        public Builder slowOperationThreshold(final String operation, final Duration threshold)
        {
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(threshold, "threshold");
            if (!TIMED_OPERATIONS.contains(operation))
            {
                throw new IllegalArgumentException("operation must be one of " + new TreeSet<>(TIMED_OPERATIONS) +
                    ": '" + operation + "'");
            }
            if (threshold.isNegative())
            {
                throw new IllegalArgumentException("slowOperationThreshold(" + operation + ") must be >= 0: " +
                    threshold);
            }
            slowOperationThresholds.put(operation, threshold);
            return this;
        }

        /**
         * @param syncMode when appends are made durable: {@code ALWAYS} (group commit), {@code INTERVAL} or
         *                 {@code NONE}.
         */
        public Builder syncMode(final SyncMode syncMode)
        {
            this.syncMode = Objects.requireNonNull(syncMode, "syncMode");
            return this;
        }

        /**
         * @param interval how often the flusher forces in {@code INTERVAL} mode, in (0, 1 h].
         */
        public Builder syncInterval(final Duration interval)
        {
            Objects.requireNonNull(interval, "syncInterval");
            if (interval.isNegative() || interval.isZero() || interval.compareTo(SYNC_INTERVAL_MAX) > 0)
            {
                throw new IllegalArgumentException("syncInterval must be in (0, 1 h]: " + interval);
            }
            this.syncInterval = interval;
            return this;
        }

        /**
         * Bound the {@link SyncMode#INTERVAL} window in bytes as well as in time: once this many bytes written into
         * blocks (records, skips, tombstones) are not covered by a completed force, appends ({@code append},
         * {@code appendAt}, {@code skip}) wait for the flusher, which starts a force as soon as half the bound is
         * unforced rather than at the next interval. So a power cut loses at most this many bytes of appended
         * records plus one record, however far appends outrun the disk. Ignored in {@code ALWAYS} (every append
         * already waits for its force) and {@code NONE} (which promises nothing until {@code flush()}).
         *
         * @param maxUnforcedBytes at least {@value #MAX_UNFORCED_BYTES_MIN}, or {@link #UNBOUNDED} (-1) for no bound.
         */
        public Builder maxUnforcedBytes(final long maxUnforcedBytes)
        {
            if (maxUnforcedBytes != UNBOUNDED && maxUnforcedBytes < MAX_UNFORCED_BYTES_MIN)
            {
                throw new IllegalArgumentException("maxUnforcedBytes must be >= " + MAX_UNFORCED_BYTES_MIN +
                    " (one page), or -1 for no bound: " + maxUnforcedBytes);
            }
            this.maxUnforcedBytes = maxUnforcedBytes;
            return this;
        }

        /**
         * How many block files a background thread keeps prepared (allocated, forced, mapped and touched) ahead of the
         * appender, so a roll takes one without waiting or faulting. Each holds a block's disk space and page cache
         * until it is used or the store closes (closing deletes the unused ones); on a nearly full disk, fewer leave
         * more room for messages.
         *
         * @param preparedBlocks 1 to {@value #PREPARED_BLOCKS_MAX}.
         */
        public Builder preparedBlocks(final int preparedBlocks)
        {
            if (preparedBlocks < 1 || preparedBlocks > PREPARED_BLOCKS_MAX)
            {
                throw new IllegalArgumentException("preparedBlocks must be in [1, " + PREPARED_BLOCKS_MAX + "]: " +
                    preparedBlocks);
            }
            this.preparedBlocks = preparedBlocks;
            return this;
        }

        /**
         * Write every histogram's intervals to {@code file} in HdrHistogram's log format every {@code interval}.
         *
         * @param file     the log file, replaced on open; null for no log.
         * @param interval in [1 ms, 1 h].
         */
        public Builder histogramLog(final Path file, final Duration interval)
        {
            Objects.requireNonNull(interval, "histogramLogInterval");
            if (interval.compareTo(Duration.ofMillis(1)) < 0 || interval.compareTo(Duration.ofHours(1)) > 0)
            {
                throw new IllegalArgumentException("histogramLogInterval must be in [1 ms, 1 h]: " + interval);
            }
            this.histogramLogFile = file;
            this.histogramLogInterval = interval;
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

        /**
         * @param maxMsgs the most messages the stream keeps, -1 for no limit, else at least 1.
         */
        public Builder maxMsgs(final long maxMsgs)
        {
            this.maxMsgs = StreamLimits.requireLimit("maxMsgs", maxMsgs);
            return this;
        }

        /**
         * @param maxBytes the most message bytes (subject + headers + payload) the stream keeps, -1 for no limit,
         *                 else at least 1.
         */
        public Builder maxBytes(final long maxBytes)
        {
            this.maxBytes = StreamLimits.requireLimit("maxBytes", maxBytes);
            return this;
        }

        /**
         * @param maxAge how long a message is kept after its timestamp; {@link Duration#ZERO} for no limit. Expired
         *               messages are removed by a timer, within about a second, whether or not anything is appended.
         */
        public Builder maxAge(final Duration maxAge)
        {
            Objects.requireNonNull(maxAge, "maxAge");
            if (maxAge.isNegative())
            {
                throw new IllegalArgumentException("maxAge must be >= 0 (0 for no limit): " + maxAge);
            }
            this.maxAge = maxAge;
            return this;
        }

        /**
         * @param maxMsgsPerSubject the most messages kept per subject, -1 for no limit, else at least 1.
         */
        public Builder maxMsgsPerSubject(final long maxMsgsPerSubject)
        {
            this.maxMsgsPerSubject = StreamLimits.requireLimit("maxMsgsPerSubject", maxMsgsPerSubject);
            return this;
        }

        /**
         * @param discard what happens when an append would exceed {@code maxMsgs}, {@code maxBytes} or
         *                {@code maxMsgsPerSubject}: {@link Discard#OLD} removes the oldest messages,
         *                {@link Discard#NEW} refuses the append with {@link LimitExceededException}.
         */
        public Builder discard(final Discard discard)
        {
            this.discard = Objects.requireNonNull(discard, "discard");
            return this;
        }

        public StreamConfig build()
        {
            requireMaxMsgSizeFits(maxMsgSize, blockSize, null != encryptionKey);
            return new StreamConfig(this);
        }
    }

    /**
     * The rule {@link Builder#build()} applies, for readers of a stream's recorded configuration.
     *
     * @throws IllegalArgumentException when a message of {@code maxMsgSize} bytes with the longest subject, framed
     *                                  (and for an encrypted stream sealed, with the block's footer), does not fit a
     *                                  block of {@code blockSize} bytes.
     */
    public static void requireMaxMsgSizeFits(final int maxMsgSize, final int blockSize, final boolean encrypted)
    {
        final long largestFrame =
            RecordDescriptor.frameLengthForContent((long)maxMsgSize + MAX_SUBJECT_ROOM, encrypted) +
            (encrypted ? BlockDescriptor.ENCRYPTED_FOOTER_LENGTH : 0);
        if (BlockDescriptor.DATA_OFFSET + largestFrame > blockSize)
        {
            throw new IllegalArgumentException("maxMsgSize " + maxMsgSize + " does not fit a block of " +
                blockSize + " bytes: maxMsgSize must be <= " +
                (blockSize - BlockDescriptor.DATA_OFFSET - RecordDescriptor.MIN_FRAME_LENGTH - MAX_SUBJECT_ROOM) +
                " (or raise blockSize)");
        }
    }

    /** Room kept in a block for the subject of the largest message: subjects up to 255 bytes always fit. */
    static final int MAX_SUBJECT_ROOM = 256;
}
