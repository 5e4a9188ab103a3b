package io.ferrite.engine.consumer;

import io.ferrite.engine.state.StateCipher;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.ConsumerTracker;

import java.nio.file.Path;

/**
 * One consumer of a file store: its state in memory ({@link ConsumerTracker}) and in its file.
 * <p>
 * Threading: updates and reads under this object's monitor, which only ever covers memory; the file is written under
 * a separate lock ({@code io}) by whoever persists — the updating thread in {@code ALWAYS} mode, the flusher thread at
 * each interval, the closing thread. Each update counts a version; a write encodes the newest state and records the
 * version it holds, so an updater that finds its version written already returns at once: in {@code ALWAYS} mode the
 * threads that update while one writes share the next write (group commit), and no write ever carries a state older
 * than one already written.
 */
public final class FileConsumer implements ConsumerStore
{
    private final String name;
    private final ConsumerConfig config;
    private final Path file;
    private final StreamConsumers owner;
    private final StateCipher cipher;
    private final Object io = new Object();

    // Under this object's monitor.
    private final ConsumerTracker tracker;
    private long version;

    // Under io.
    private long persistedVersion;
    /** Set under io; read without it, so an update never waits for a write to check it. */
    private volatile boolean deleted;

    FileConsumer(
        final String name, final ConsumerConfig config, final Path file, final StreamConsumers owner,
        final StateCipher cipher, final ConsumerState state)
    {
        this.name = name;
        this.config = config;
        this.file = file;
        this.owner = owner;
        this.cipher = cipher;
        this.tracker = new ConsumerTracker(name, config, state);
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public ConsumerConfig config()
    {
        return config;
    }

    Path file()
    {
        return file;
    }

    @Override
    public void updateDelivered(final long dseq, final long sseq, final long deliveryCount, final long timestampNanos)
    {
        owner.ensureUsable(this);
        final long updated;
        synchronized (this)
        {
            tracker.delivered(dseq, sseq, deliveryCount, timestampNanos, owner.lastSeq());
            updated = ++version;
        }
        owner.afterUpdate(this, updated);
    }

    @Override
    public boolean updateAcks(final long dseq, final long sseq)
    {
        owner.ensureUsable(this);
        final long updated;
        synchronized (this)
        {
            if (!tracker.acked(dseq, sseq))
            {
                return false;
            }
            updated = ++version;
        }
        owner.afterUpdate(this, updated);
        return true;
    }

    @Override
    public synchronized ConsumerState state()
    {
        return tracker.state();
    }

    @Override
    public synchronized byte[] encodedState()
    {
        return tracker.encode();
    }

    @Override
    public boolean delete()
    {
        return owner.delete(name);
    }

    /**
     * Forget what a crash took back from the stream (see {@link ConsumerTracker#forgetBeyond}).
     *
     * @return whether anything changed.
     */
    synchronized boolean forgetBeyond(final long lastSeq)
    {
        if (tracker.forgetBeyond(lastSeq))
        {
            version++;
            return true;
        }
        return false;
    }

    /**
     * Write the state when the file holds none as new as version {@code target}.
     *
     * @return whether the file holds version {@code target} or a newer one (false when the consumer was deleted or
     * its stream closed first).
     */
    boolean persist(final long target)
    {
        synchronized (io)
        {
            if (persistedVersion >= target)
            {
                return true;
            }
            if (deleted || owner.isClosed())
            {
                return false;
            }
            final byte[] encoded;
            final long current;
            synchronized (this)
            {
                encoded = tracker.encode();
                current = version;
            }
            ConsumerStateFile.write(owner.directory(), file, name, encoded, cipher);
            persistedVersion = current;
            return true;
        }
    }

    /**
     * Write the state when it changed since the last write.
     */
    void persistChanged()
    {
        final long current;
        synchronized (this)
        {
            current = version;
        }
        persist(current);
    }

    /**
     * Write the state as it is now, whatever the file holds: the file of a new consumer.
     */
    void persistNow()
    {
        synchronized (io)
        {
            persistedVersion = -1;
        }
        persistChanged();
    }

    /**
     * No write touches the file after this returns.
     */
    void markDeleted()
    {
        synchronized (io)
        {
            deleted = true;
        }
    }

    boolean isDeleted()
    {
        return deleted;
    }

    @Override
    public String toString()
    {
        return "FileConsumer[" + name + ", " + config.ackPolicy() + "]";
    }
}
