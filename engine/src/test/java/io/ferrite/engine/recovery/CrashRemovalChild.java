package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The process {@link CrashRemovalTest} kills: appends and removes. Opens the stream, says {@code OPEN <lastSeq>;},
 * finds the messages it holds, then runs seeded batches of operations: appends of the messages {@link TestMessages}
 * derives from each sequence, and removals, mostly of the oldest messages (so blocks empty and are deleted) and
 * otherwise of messages just past them (so blocks thin out and are rewritten), a few of them erasures.
 * <p>
 * Output, one line each, every line ending in {@code ;} (a line the kill cut short has none and means nothing),
 * appended to a log file with one write each (the page cache keeps it through SIGKILL) and copied to standard output
 * for the parent to time its kill by. The file is the record: the JDK may drop the last lines a killed child wrote to
 * its pipe.
 * <ul>
 * <li>{@code X <seq>;} printed and flushed before {@code remove(seq)} is called, {@code Z <seq>;} before
 * {@code erase(seq)}: the parent then knows every removal that may have happened;</li>
 * <li>{@code D <seq>;} after a batch, once {@code flush()} returned {@code seq} as durable: every removal announced
 * before this line, and every append up to {@code seq}, is durable.</li>
 * </ul>
 * Every {@code stateEvery} batches (0: never) it also writes {@code state.db}. It never closes the store: it is killed
 * with SIGKILL, or stops after {@code maxOps} as a safety net, or halts when its parent goes away.
 * <p>
 * Arguments: {@code <dir> <log> <blockSize> <maxPayload> <batch> <stateEvery> <maxOps> <seed> [<key>]}, where the
 * optional key is the stream's 32-byte encryption key in hex ({@code -} or absent: a plaintext stream).
 */
public final class CrashRemovalChild
{
    /** Out of this many removals, one is an erasure (each forces the block file). */
    static final int ERASE_ONE_IN = 12;
    /** How far past the oldest message a thinning removal reaches. */
    private static final int THIN_WINDOW = 120;

    private CrashRemovalChild()
    {
    }

    public static StreamConfig config(final int blockSize, final int maxPayload, final byte[] key)
    {
        return CrashChild.config(blockSize, maxPayload, key);
    }

    public static void main(final String[] args)
    {
        final Path dir = Path.of(args[0]);
        final Path log = Path.of(args[1]);
        final int blockSize = Integer.parseInt(args[2]);
        final int maxPayload = Integer.parseInt(args[3]);
        final int batch = Integer.parseInt(args[4]);
        final int stateEvery = Integer.parseInt(args[5]);
        final long maxOps = Long.parseLong(args[6]);
        final SplittableRandom random = new SplittableRandom(Long.parseLong(args[7]));
        final byte[] key = args.length > 8 && !"-".equals(args[8]) ? HexFormat.of().parseHex(args[8]) : null;
        ChildProcess.haltWhenParentGoes();

        try (Output out = new Output(log))
        {
            run(out, dir, blockSize, maxPayload, batch, stateEvery, maxOps, random, key);
        }
        Runtime.getRuntime().halt(0);
    }

    private static void run(
        final Output out, final Path dir, final int blockSize, final int maxPayload, final int batch,
        final int stateEvery, final long maxOps, final SplittableRandom random, final byte[] key)
    {
        final TestMessages messages = new TestMessages(maxPayload);
        final StreamStore store = FileStreamStore.open(dir, config(blockSize, maxPayload, key));
        out.say("OPEN " + store.state().lastSeq() + ";");
        final TreeSet<Long> live = new TreeSet<>();
        for (StoredMessage m = store.loadNext(">", 1); null != m; m = store.loadNext(">", m.seq() + 1))
        {
            live.add(m.seq());
        }
        for (long op = 1; op <= maxOps; op++)
        {
            if (live.size() < 32 || random.nextInt(100) < 58)
            {
                live.add(messages.appendNext(store));
            }
            else
            {
                final Long seq = random.nextBoolean() ? live.first() :
                    live.ceiling(live.first() + random.nextInt(THIN_WINDOW));
                final long target = null == seq ? live.last() : seq;
                final boolean erase = random.nextInt(ERASE_ONE_IN) == 0;
                out.say((erase ? "Z " : "X ") + target + ";");
                if (!(erase ? store.erase(target) : store.remove(target)))
                {
                    throw new IllegalStateException("no message to remove at " + target + " though it was loaded");
                }
                live.remove(target);
            }
            if (op % batch == 0)
            {
                final long durable = store.flush().join();
                out.say("D " + durable + ";");
                if (stateEvery > 0 && (op / batch) % stateEvery == 0)
                {
                    store.writeFullState();
                }
            }
        }
        out.say("DONE");
    }

    /**
     * The log file and standard output. A line is in the log file (one write: in the page cache, whatever kills the
     * process after) before {@link #say} returns.
     */
    private static final class Output implements AutoCloseable
    {
        private final FileOutputStream file;
        private final PrintStream stdout =
            new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.US_ASCII);

        Output(final Path log)
        {
            try
            {
                file = new FileOutputStream(log.toFile(), true);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        void say(final String line)
        {
            try
            {
                file.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            stdout.println(line);
            stdout.flush();
        }

        @Override
        public void close()
        {
            stdout.flush();
            try
            {
                file.close();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
