package io.ferrite.engine.recovery;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.ChildJournal;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The process {@link NamedTailerCrashTest} kills. Opens the stream and the named tailer {@value #TAILER}, prints
 * {@code OPEN <lastSeq> <tailer's nextSeq>}, then repeats: append {@value #APPENDS} messages, poll up to
 * {@value #POLL_LIMIT} (so it lags behind the appends for a while and then catches up), and acknowledge the last
 * sequence handed over — saying ({@link ChildJournal}) {@code WILL <seq>} before {@code ack} and {@code ACKED <seq>}
 * after it returned. It
 * never closes anything: it is killed with SIGKILL, stops after {@code maxRounds}, or halts when its parent goes.
 * <p>
 * Arguments: {@code <dir> <syncMode> <maxRounds>}.
 */
public final class NamedTailerCrashChild
{
    public static final String TAILER = "crash-consumer";
    static final int APPENDS = 5;
    static final int POLL_LIMIT = 4;

    private NamedTailerCrashChild()
    {
    }

    public static StreamConfig config(final SyncMode mode)
    {
        return StreamConfig.builder("cursor-crash").blockSize(16 * 1024).maxMsgSize(256).syncMode(mode)
            .syncInterval(Duration.ofMillis(5)).build();
    }

    public static void main(final String[] args) throws IOException
    {
        final Path dir = Path.of(args[0]);
        final SyncMode mode = SyncMode.valueOf(args[1]);
        final int maxRounds = Integer.parseInt(args[2]);
        ChildProcess.haltWhenParentGoes();

        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false,
            StandardCharsets.US_ASCII);
        final ChildJournal journal = ChildJournal.open(ChildJournal.beside(dir), out);
        final StreamStore store = FileStreamStore.open(dir, config(mode));
        final NamedTailer tailer = store.createTailer(TAILER);
        // For a failure message of the parent's: what this child found when it opened.
        System.err.println("opened: firstSeq " + store.firstSeq() + ", acked " + tailer.ackedSeq() + ", " +
            store.state() + ", " + store.recoveryReport());
        out.println("OPEN " + store.lastSeq() + " " + tailer.nextSeq());
        out.flush();
        final byte[] payload = new byte[100];
        for (int round = 0; round < maxRounds; round++)
        {
            for (int i = 0; i < APPENDS; i++)
            {
                store.append("crash.m", null, payload);
            }
            if (tailer.poll((view) ->
            {
            }, POLL_LIMIT) > 0)
            {
                final long seq = tailer.nextSeq() - 1;
                journal.say("WILL " + seq);
                tailer.ack(seq);
                journal.say("ACKED " + seq);
            }
        }
        out.println("DONE");
        out.flush();
        Runtime.getRuntime().halt(0);
    }
}
