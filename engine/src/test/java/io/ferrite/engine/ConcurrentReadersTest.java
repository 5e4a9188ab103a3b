package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Appends are serialized, reads are lock-free: readers racing an appender (and block rolls, and the lazy mapping of
 * sealed blocks after a reopen) only ever see complete records, byte for byte what was appended, and nothing past
 * what has been published; {@code loadLast} and {@code loadNext} never miss what is known to be published.
 */
class ConcurrentReadersTest
{
    private static final long SEED = 0xC0_4C0_44EL;
    private static final int READERS = 3;
    private static final int APPENDS = 30_000;
    private static final long MIN_READS_PER_READER = 20_000;
    private static final long MAX_READS_PER_READER = 2_000_000;
    private final StreamConfig config = mode().config(
        StreamConfig.builder("concurrent").blockSize(64 * 1024).maxMsgSize(512));
    private static final TestMessages MESSAGES = new TestMessages(300);

    @TempDir
    Path dir;

    /**
     * @return the kind of stream raced; {@link EncryptedConcurrentReadersTest} races an encrypted one.
     */
    StreamMode mode()
    {
        return StreamMode.PLAINTEXT;
    }

    @Test
    void readersOnlyEverSeeCompleteRecordsWhileAnAppenderWritesAndRollsBlocks() throws InterruptedException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            race(store, 0);
            assertThat(store.stats().blocksCreated()).as("the appender rolled blocks under the readers")
                .isGreaterThan(20);
        }
    }

    @Test
    void readersRacingToMapSealedBlocksAfterReopenSeeCompleteRecords() throws InterruptedException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 0; i < APPENDS; i++)
            {
                MESSAGES.appendNext(store);
            }
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            race(store, APPENDS);
        }
    }

    @Test
    void loadLastNeverMissesAMessageOnceOneIsPublished() throws InterruptedException
    {
        final int appends = 200_000;
        final byte[] payload = new byte[16];
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            store.append("hot", null, payload);
            final AtomicBoolean done = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final CountDownLatch readersReady = new CountDownLatch(READERS);
            final List<Thread> threads = new ArrayList<>();
            threads.add(new Thread(() ->
            {
                try
                {
                    readersReady.await();
                    for (int i = 0; i < appends && null == failure.get(); i++)
                    {
                        store.append("hot", null, payload);
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
                finally
                {
                    done.set(true);
                }
            }, "appender"));
            for (int r = 0; r < READERS; r++)
            {
                threads.add(new Thread(() ->
                {
                    readersReady.countDown();
                    long previous = 1;
                    while (!done.get() && null == failure.get())
                    {
                        final StoredMessage last = store.loadLast("hot");
                        if (null == last || last.seq() < previous)
                        {
                            failure.compareAndSet(null, new AssertionError("loadLast(\"hot\") returned " + last +
                                " after it had returned seq " + previous));
                            return;
                        }
                        previous = last.seq();
                    }
                }, "reader-" + r));
            }
            threads.forEach(Thread::start);
            for (final Thread thread : threads)
            {
                thread.join();
            }
            if (null != failure.get())
            {
                throw new AssertionError(failure.get());
            }
            assertThat(store.loadLast("hot").seq()).isEqualTo(appends + 1);
        }
    }

    /**
     * One appender appends {@link #APPENDS} more messages while {@link #READERS} readers load, read and scan random
     * sequences no later than what they know is published, and probe just past it.
     */
    private static void race(final FileStreamStore store, final long alreadyStored) throws InterruptedException
    {
        final AtomicLong appended = new AtomicLong(alreadyStored);
        final AtomicBoolean appenderDone = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch readersReady = new CountDownLatch(READERS);
        final List<Thread> threads = new ArrayList<>();
        final long[] reads = new long[READERS];
        final long[] readsDuringAppends = new long[READERS];

        final Thread appender = new Thread(() ->
        {
            try
            {
                readersReady.await();
                for (int i = 0; i < APPENDS && null == failure.get(); i++)
                {
                    appended.set(MESSAGES.appendNext(store));
                }
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
            finally
            {
                appenderDone.set(true);
            }
        }, "appender");
        threads.add(appender);

        for (int r = 0; r < READERS; r++)
        {
            final int reader = r;
            threads.add(new Thread(() ->
            {
                final SplittableRandom random = new SplittableRandom(SEED + reader);
                readersReady.countDown();
                try
                {
                    long count = 0;
                    while (null == failure.get() && count < MAX_READS_PER_READER &&
                        (!appenderDone.get() || count < MIN_READS_PER_READER))
                    {
                        final boolean during = !appenderDone.get();
                        readOnce(store, random, appended, (int)(count % 5));
                        count++;
                        readsDuringAppends[reader] += during ? 1 : 0;
                    }
                    reads[reader] = count;
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, new AssertionError("reader " + reader + " (seed " + SEED + "): " +
                        ex.getMessage(), ex));
                }
            }, "reader-" + r));
        }

        threads.forEach(Thread::start);
        for (final Thread thread : threads)
        {
            thread.join();
        }
        if (null != failure.get())
        {
            throw new AssertionError(failure.get());
        }
        assertThat(store.state().lastSeq()).isEqualTo(alreadyStored + APPENDS);
        for (int r = 0; r < READERS; r++)
        {
            assertThat(reads[r]).as("reader %d read", r).isGreaterThanOrEqualTo(MIN_READS_PER_READER);
        }
        for (long seq = 1; seq <= alreadyStored + APPENDS; seq++)
        {
            assertThat(MESSAGES.mismatch(store.load(seq), seq)).isNull();
        }
        long overlapping = 0;
        for (final long during : readsDuringAppends)
        {
            overlapping += during;
        }
        System.out.println("ConcurrentReadersTest: " + overlapping + " reads raced the appender");
    }

    private static void readOnce(
        final StreamStore store, final SplittableRandom random, final AtomicLong appended, final int mode)
    {
        switch (mode)
        {
            case 0 ->
            {
                final long last = store.state().lastSeq();
                if (last > 0)
                {
                    final long seq = 1 + random.nextLong(last);
                    check(MESSAGES.mismatch(store.load(seq), seq));
                }
            }
            case 1 ->
            {
                final long last = appended.get();
                if (last > 0)
                {
                    final long seq = 1 + random.nextLong(last);
                    final String[] mismatch = {"handler not called for " + seq};
                    check(store.read(seq, (view) -> mismatch[0] = MESSAGES.mismatch(view, seq)) ? mismatch[0] :
                        "read(" + seq + ") found nothing though it was appended");
                }
            }
            case 2 ->
            {
                // Just past what this thread knows was appended: absent, or complete and exact.
                final long seq = appended.get() + 1 + random.nextInt(3);
                final StoredMessage message = store.load(seq);
                if (null != message)
                {
                    check(MESSAGES.mismatch(message, seq));
                }
            }
            case 3 ->
            {
                // The subject of a message known appended has a last message: that one or a later one, complete.
                final long last = appended.get();
                if (last > 0)
                {
                    final long known = Math.max(1, last - random.nextInt(3));
                    final String subject = MESSAGES.subject(known);
                    final StoredMessage message = store.loadLast(subject);
                    check(null != message && message.seq() >= known && message.subject().equals(subject) ? null :
                        "loadLast(" + subject + ") returned " + message + " though seq " + known + " has that subject");
                    check(MESSAGES.mismatch(message, message.seq()));
                }
            }
            default ->
            {
                final long last = appended.get();
                if (last > 0)
                {
                    final long from = 1 + random.nextLong(last);
                    final String filter = MESSAGES.subject(from + random.nextInt(5));
                    final StoredMessage message = store.loadNext(filter, from);
                    if (null != message)
                    {
                        check(message.seq() >= from && message.subject().equals(filter) ? null :
                            "loadNext(" + filter + ", " + from + ") returned " + message);
                        check(MESSAGES.mismatch(message, message.seq()));
                    }
                }
            }
        }
    }

    private static void check(final String mismatch)
    {
        if (null != mismatch)
        {
            throw new AssertionError(mismatch);
        }
    }
}
