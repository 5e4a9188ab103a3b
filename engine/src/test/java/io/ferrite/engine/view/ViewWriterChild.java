package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * The writer {@link CrossProcessViewTest} follows and kills. Opens the stream, prints {@code LOST <firstSeq> <lastSeq>
 * <kind>} for each loss its recovery reported, then {@code OPEN <lastSeq>}, then appends without end: the message at
 * sequence {@code s} is {@link #payload(long)} under {@link #subject(long)}, so a reader can check every record by its
 * sequence alone. Every {@value #REMOVE_EVERY}th message is removed right after its append; every
 * {@value #FLUSH_EVERY} appends it flushes and prints {@code FLUSHED <durableSeq>}; every {@value #COMPACT_EVERY}
 * appends it prints {@code COMPACT <seq>} and compacts below it, so the reclaimer deletes blocks under the reader.
 * Blocks are small, so it rolls often. It never closes: it is killed, or halts when its parent goes.
 * <p>
 * A loss is what a SIGKILL between the two checksum stores of a record leaves (RecordWriter writes the header's, then
 * the record's): the header verifies, the body does not, so recovery keeps the sequence taken, reports it lost and
 * tombstones it, and {@code OPEN} counts it, though no append returned it and no reader was ever shown it.
 * <p>
 * Arguments: {@code <dir> <keyHex or ->}.
 */
public final class ViewWriterChild
{
    static final int REMOVE_EVERY = 11;
    static final int FLUSH_EVERY = 250;
    static final int COMPACT_EVERY = 1_500;
    static final int COMPACT_KEEP = 1_000;

    private ViewWriterChild()
    {
    }

    static StreamConfig config(final byte[] key)
    {
        final StreamConfig.Builder builder = StreamConfig.builder("followed").blockSize(8 * 1024).maxMsgSize(512)
            .syncMode(SyncMode.INTERVAL).syncInterval(Duration.ofMillis(5));
        return (null == key ? builder : builder.encryptionKey(key)).build();
    }

    static String subject(final long seq)
    {
        return "f." + (seq % 5);
    }

    /**
     * @return the payload of sequence {@code seq}: 1 to 200 bytes, seeded by the sequence.
     */
    static byte[] payload(final long seq)
    {
        final SplittableRandom random = new SplittableRandom(seq * 0x9E37_79B9_7F4A_7C15L);
        final byte[] payload = new byte[1 + random.nextInt(200)];
        random.nextBytes(payload);
        return payload;
    }

    public static void main(final String[] args)
    {
        final Path dir = Path.of(args[0]);
        final byte[] key = "-".equals(args[1]) ? null : HexFormat.of().parseHex(args[1]);
        ChildProcess.haltWhenParentGoes();
        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false,
            StandardCharsets.US_ASCII);
        final StreamStore store = FileStreamStore.open(dir, config(key));
        for (final RecoveryReport.LostRange lost : store.recoveryReport().lost())
        {
            out.println("LOST " + lost.firstSeq() + " " + lost.lastSeq() + " " + lost.kind());
        }
        out.println("OPEN " + store.lastSeq());
        out.flush();
        for (long n = 1; ; n++)
        {
            final long seq = store.lastSeq() + 1;
            final long appended = store.append(subject(seq), null, payload(seq));
            if (appended != seq)
            {
                out.println("WRONG " + seq + " " + appended);
                out.flush();
                Runtime.getRuntime().halt(3);
            }
            if (seq % REMOVE_EVERY == 0)
            {
                store.remove(seq);
            }
            if (n % FLUSH_EVERY == 0)
            {
                out.println("FLUSHED " + store.flush().join());
                out.flush();
            }
            if (n % COMPACT_EVERY == 0 && seq > COMPACT_KEEP)
            {
                out.println("COMPACT " + (seq - COMPACT_KEEP));
                out.flush();
                store.compact(seq - COMPACT_KEEP);
            }
        }
    }
}
