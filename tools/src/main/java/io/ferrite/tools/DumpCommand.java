package io.ferrite.tools;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.view.WriterStatus;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamView;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * {@code ferrite dump DIR (--seq N | --subject S)}: messages as an application would read them.
 */
@Command(
    name = "dump",
    header = "Print messages by sequence or subject.",
    description = {
        "Print messages: sequence, time (ISO-8601, UTC), subject, headers and payload (as text when printable, " +
            "else hex).",
        "Opens the stream the way an application does: it takes the directory's LOCK, recovers it (a torn tail is " +
            "cut, as on any open) and writes state.db when it closes. While an application has the stream open, it " +
            "reads it through the read-only view instead (FileStreamStore.openReadOnly: no lock taken, nothing " +
            "written, the messages its writer published so far) and says so on stderr.",
        "With --seq, sequences that hold no message are explained: each tombstone that removed some of them is " +
            "printed where they would be, as 'delete FIRST..LAST' ('(erase)' when the bytes were overwritten too), " +
            "with when it was written and where it sits; sequences no tombstone accounts for are noted on stderr " +
            "(skipped, removed by a tombstone no longer stored, or damaged).",
        "An encrypted stream needs --key-file: each message printed is authenticated and decrypted with it; a " +
            "message that does not authenticate is reported as damaged and skipped."
    })
public final class DumpCommand extends ToolCommand
{
    /** One message by default with --seq: "show me message N". */
    static final int SEQ_LIMIT_DEFAULT = 1;
    /** Ten by default with --subject: a first page, not the whole stream. */
    static final int SUBJECT_LIMIT_DEFAULT = 10;
    private static final String ALL_SUBJECTS = ">";
    /** Tombstones printed for one gap at most: single removals can leave thousands in a row. */
    static final int TOMBSTONES_PER_GAP = 20;

    @Parameters(index = "0", paramLabel = "DIR", description = "The stream directory (holding stream.json).")
    Path dir;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Selection selection;

    @Option(names = "--limit", paramLabel = "N",
        description = "Print at most N messages (default " + SEQ_LIMIT_DEFAULT + " with --seq, " +
            SUBJECT_LIMIT_DEFAULT + " with --subject).")
    Integer limit;

    @Option(names = "--hex", description = "Print headers and payloads as hex dumps even when they are text.")
    boolean hex;

    @Mixin
    KeyFileOption keyFile;

    private StreamFolder folder;
    /** The unlocked stream when it is encrypted, for reading tombstones; its caller's key is wiped once the store is
     * open, its block keys stay derivable. */
    private StreamKey key;
    /** Read on the first gap, then kept. */
    private List<Tombstone> tombstones;

    /**
     * Which messages: from a sequence on, or those matching a subject filter.
     */
    static final class Selection
    {
        @Option(names = "--seq", paramLabel = "N", required = true,
            description = "Start at sequence N (if it holds no message, the next one that does).")
        Long seq;

        @Option(names = "--subject", paramLabel = "S", required = true,
            description = "Messages whose subject matches S, from the start; '*' matches one token, a final '>' " +
                "one or more.")
        String subject;
    }

    @Override
    protected int execute()
    {
        final int max = null != limit ? limit : null != selection.seq ? SEQ_LIMIT_DEFAULT : SUBJECT_LIMIT_DEFAULT;
        if (max < 1)
        {
            throw ToolException.error("--limit must be at least 1: " + max);
        }
        if (null != selection.seq && selection.seq < 1)
        {
            throw ToolException.error("--seq must be at least 1 (sequences start at 1): " + selection.seq);
        }
        folder = StreamFolder.open(dir);
        key = keyFile.require(folder, "dump decrypts the messages it prints");
        final WriterStatus writer = WriterStatus.read(dir);
        if (null != writer && writer.live())
        {
            err().println("ferrite dump: " + writer.describe());
            try (StreamView view = null == key ? FileStreamStore.openReadOnly(dir) : key.openReadOnly(dir))
            {
                return dump(view, max);
            }
            finally
            {
                if (null != key)
                {
                    key.wipe();
                }
            }
        }
        final StreamConfig config;
        try
        {
            config = StreamSettings.of(folder.metadata(), folder.metadataFile(),
                null == key ? UnaryOperator.identity() : key::applyTo, "dump");
        }
        finally
        {
            if (null != key)
            {
                key.wipe();
            }
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final boolean lost = reportLosses(store.recoveryReport());
            final int result = dump(store, max);
            return lost ? ExitCode.PROBLEMS : result;
        }
    }

    private int dump(final StreamView store, final int max)
    {
        final String filter = null != selection.seq ? ALL_SUBJECTS : selection.subject;
        final MessagePrinter printer = new MessagePrinter(out(), hex);
        long cursor = null != selection.seq ? selection.seq : 1;
        int printed = 0;
        int damaged = 0;
        while (printed + damaged < max)
        {
            final StoredMessage message;
            try
            {
                message = store.loadNext(filter, cursor);
            }
            catch (final CorruptRecordException ex)
            {
                damaged++;
                err().println("ferrite dump: " + ex.getMessage() + " — skipped; run `ferrite verify " + dir + "`");
                if (ex.seq() == StoreException.UNKNOWN)
                {
                    break;
                }
                cursor = ex.seq() + 1;
                continue;
            }
            if (null == message)
            {
                break;
            }
            if (null != selection.seq && message.seq() != cursor)
            {
                explainGap(cursor, message.seq() - 1);
            }
            printer.print(message);
            printed++;
            cursor = message.seq() + 1;
        }
        final StreamState state = store.state();
        if (null != selection.seq && printed + damaged < max && cursor <= state.lastSeq())
        {
            explainGap(cursor, state.lastSeq());
        }
        if (printed == 0 && damaged == 0)
        {
            err().println("ferrite dump: no message " + (null != selection.seq ? "at or after sequence " +
                selection.seq : "matches subject " + selection.subject) + " (the stream holds " +
                Units.count(state.msgs()) + " messages" + (state.msgs() == 0 ? "" : ", sequences " + state.firstSeq() +
                ".." + state.lastSeq()) + ")");
        }
        return printed > 0 && damaged == 0 ? ExitCode.OK : ExitCode.PROBLEMS;
    }

    /**
     * @return whether opening the stream found damage.
     */
    private boolean reportLosses(final RecoveryReport report)
    {
        for (final RecoveryReport.LostRange lost : report.lost())
        {
            err().println("ferrite dump: opening the stream found damage: " + lost + " — run `ferrite verify " + dir +
                "` to see all of it");
        }
        return !report.isClean();
    }

    /**
     * Sequences {@code first..last} hold no message: print the tombstones that removed any of them, in the order they
     * were written, and note on stderr those no tombstone accounts for.
     */
    private void explainGap(final long first, final long last)
    {
        final List<Tombstone> covering = new ArrayList<>();
        for (final Tombstone tombstone : tombstones())
        {
            if (tombstone.overlaps(first, last))
            {
                covering.add(tombstone);
            }
        }
        final PrintWriter out = out();
        covering.stream().limit(TOMBSTONES_PER_GAP).forEach((tombstone) -> out.println(tombstone.label() + "  " +
            Units.instant(tombstone.timestamp()) + "  tombstone written at seq " + tombstone.headerSeq() + ", " +
            tombstone.file().getFileName() + " offset " + tombstone.offset()));
        if (covering.size() > TOMBSTONES_PER_GAP)
        {
            out.println("... and " + Units.count(covering.size() - TOMBSTONES_PER_GAP) + " more tombstones in " +
                first + ".." + last);
        }
        final List<long[]> ranges = new ArrayList<>();
        covering.forEach((tombstone) -> ranges.add(new long[] { tombstone.fromSeq(), tombstone.toSeq() }));
        ranges.sort(Comparator.comparingLong((long[] range) -> range[0]));
        long next = first;
        for (final long[] range : ranges)
        {
            if (range[0] > next)
            {
                reportGap(next, Math.min(last, range[0] - 1));
            }
            next = Math.max(next, range[1] + 1);
            if (next > last)
            {
                return;
            }
        }
        if (next <= last)
        {
            reportGap(next, last);
        }
    }

    private List<Tombstone> tombstones()
    {
        if (null == tombstones)
        {
            try
            {
                tombstones = new TombstoneReader(folder, key).read();
            }
            catch (final IOException ex)
            {
                err().println("ferrite dump: cannot read tombstones to explain removed sequences: " +
                    ToolCommand.describe(ex));
                tombstones = List.of();
            }
        }
        return tombstones;
    }

    /**
     * Sequences read as absent when skipped, removed — or damaged in a block that was not scanned at open (the store
     * logs a warning then, but its API cannot tell the three apart), so say so rather than pass over them silently.
     */
    private void reportGap(final long first, final long last)
    {
        err().println("ferrite dump: no message at sequence " + (first == last ? first : first + ".." + last) +
            " (skipped, removed or damaged; `ferrite verify " + dir + "` tells which)");
    }
}
