package io.ferrite.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * How a {@link StoreEnvironment} runs: the sync mode its {@link StoreEnvironment#streamConfig} builders start from,
 * the {@link ThreadFactory} that makes its few shared threads (a flusher, a reclaimer and a block preparer, whatever
 * the number of streams), their name prefix, the {@link StorageIO} every force of every stream goes through, and
 * the one histogram log all its streams write to, if any.
 * <pre>
 * EnvironmentConfig config = EnvironmentConfig.builder().syncMode(SyncMode.INTERVAL).threadFactory(factory).build();
 * </pre>
 * Immutable and thread-safe.
 */
public final class EnvironmentConfig
{
    /** Streams of an environment default to what a standalone stream does. */
    public static final SyncMode SYNC_MODE_DEFAULT = StreamConfig.SYNC_MODE_DEFAULT;
    /** Names the threads {@code ferrite-env-flusher}, {@code ferrite-env-reclaimer}, {@code ferrite-env-preparer}. */
    public static final String THREAD_NAME_PREFIX_DEFAULT = "ferrite-env-";
    /** As a stream's own log: HdrHistogram's tools plot intervals of this order. */
    public static final Duration HISTOGRAM_LOG_INTERVAL_DEFAULT = StreamConfig.HISTOGRAM_LOG_INTERVAL_DEFAULT;

    private final SyncMode syncMode;
    private final ThreadFactory threadFactory;
    private final String threadNamePrefix;
    private final StorageIO storageIO;
    private final Path histogramLogFile;
    private final Duration histogramLogInterval;

    private EnvironmentConfig(final Builder builder)
    {
        this.syncMode = builder.syncMode;
        this.threadFactory = builder.threadFactory;
        this.threadNamePrefix = builder.threadNamePrefix;
        this.storageIO = builder.storageIO;
        this.histogramLogFile = builder.histogramLogFile;
        this.histogramLogInterval = builder.histogramLogInterval;
    }

    /**
     * @return a builder with every default.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return the sync mode {@link StoreEnvironment#streamConfig} builders start with.
     */
    public SyncMode syncMode()
    {
        return syncMode;
    }

    /**
     * @return what makes the environment's threads; by default daemon threads.
     */
    public ThreadFactory threadFactory()
    {
        return threadFactory;
    }

    /**
     * @return the prefix of the environment's thread names.
     */
    public String threadNamePrefix()
    {
        return threadNamePrefix;
    }

    /**
     * @return what every force and directory sync of the environment and its streams goes through.
     */
    public StorageIO storageIO()
    {
        return storageIO;
    }

    /**
     * @return the one HdrHistogram log every stream of the environment writes to, or null when there is none.
     */
    public Path histogramLogFile()
    {
        return histogramLogFile;
    }

    /**
     * @return how often the environment's histogram log is written.
     */
    public Duration histogramLogInterval()
    {
        return histogramLogInterval;
    }

    @Override
    public String toString()
    {
        return "EnvironmentConfig{syncMode=" + syncMode + ", threadNamePrefix='" + threadNamePrefix + "'" +
            ", histogramLogFile=" + histogramLogFile + ", histogramLogInterval=" + histogramLogInterval + '}';
    }

    /**
     * Builds an {@link EnvironmentConfig}; not thread-safe.
     */
    public static final class Builder
    {
        private SyncMode syncMode = SYNC_MODE_DEFAULT;
        private ThreadFactory threadFactory = Builder::daemon;
        private String threadNamePrefix = THREAD_NAME_PREFIX_DEFAULT;
        private StorageIO storageIO = StorageIO.standard();
        private Path histogramLogFile;
        private Duration histogramLogInterval = HISTOGRAM_LOG_INTERVAL_DEFAULT;

        private Builder()
        {
        }

        /**
         * @param syncMode the sync mode {@link StoreEnvironment#streamConfig} builders start with.
         */
        public Builder syncMode(final SyncMode syncMode)
        {
            this.syncMode = Objects.requireNonNull(syncMode, "syncMode");
            return this;
        }

        /**
         * @param threadFactory makes the environment's threads (three at most); it need not name them, the
         *                      environment does.
         */
        public Builder threadFactory(final ThreadFactory threadFactory)
        {
            this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
            return this;
        }

        /**
         * @param prefix the prefix of the environment's thread names, e.g. {@code "md-store-"}.
         */
        public Builder threadNamePrefix(final String prefix)
        {
            this.threadNamePrefix = Objects.requireNonNull(prefix, "threadNamePrefix");
            return this;
        }

        /**
         * @param io what every force and directory sync goes through; for tests that inject latency or failures, and
         *           embedders with their own durability.
         */
        public Builder storageIO(final StorageIO io)
        {
            this.storageIO = Objects.requireNonNull(io, "storageIO");
            return this;
        }

        /**
         * Write every stream's histograms to one file in HdrHistogram's log format every {@code period}, each
         * interval histogram tagged {@code <stream>/<metric>} (e.g. {@code orders/flush.force}), on the
         * environment's flusher thread. Streams of the environment then write no log of their own: a
         * {@link StreamConfig} that names one is refused when the stream is created or opened.
         *
         * @param file   the log file, replaced when the environment opens, closed (after a last interval) when it
         *               closes; null for no log.
         * @param period in [1 ms, 1 h].
         */
        public Builder histogramLog(final Path file, final Duration period)
        {
            Objects.requireNonNull(period, "histogramLogPeriod");
            if (period.compareTo(Duration.ofMillis(1)) < 0 || period.compareTo(Duration.ofHours(1)) > 0)
            {
                throw new IllegalArgumentException("histogramLogPeriod must be in [1 ms, 1 h]: " + period);
            }
            this.histogramLogFile = file;
            this.histogramLogInterval = period;
            return this;
        }

        public EnvironmentConfig build()
        {
            return new EnvironmentConfig(this);
        }

        private static Thread daemon(final Runnable runnable)
        {
            final Thread thread = new Thread(runnable);
            thread.setDaemon(true);
            return thread;
        }
    }
}
