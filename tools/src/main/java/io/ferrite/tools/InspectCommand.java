package io.ferrite.tools;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.store.ConsumerState;
import io.ferrite.engine.view.WriterStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ferrite inspect DIR}: configuration, totals, subjects and every block, from {@code state.db} — and for an
 * encrypted stream the sealed blocks' footers — never from records.
 */
@Command(
    name = "inspect",
    header = "Show config, state, subjects and every block from state.db and block footers (reads no record).",
    description = {
        "Show a stream's configuration (stream.json), its state and subjects, and every block (id, sequences, " +
            "messages, bytes, sealed or active, encrypted, last checksum) as recorded in state.db.",
        "Reads no record and takes no lock: safe on a live stream, and as fast on 10,000 blocks over NFS as on " +
            "one. When state.db is missing or unusable it says so and lists the block files by name and size.",
        "An encrypted stream is inspected without its key and nothing is decrypted: totals and blocks come from " +
            "state.db's plaintext part, subjects show as encrypted, and each sealed block's footer (its last 120 " +
            "bytes: sequences, counts, data end, last checksum) is shown unverified. With --key-file the subjects " +
            "are opened and every footer's MAC is verified; a footer that does not authenticate, or disagrees with " +
            "state.db, is reported with file and offset (exit 1).",
        "Named tailers' cursors (cursors/) are listed with the last sequence acknowledged durably; a damaged cursor " +
            "file is reported (exit 1).",
        "Consumers (consumers/) are listed with their ack floor, last delivery, pending and redelivered counts as " +
            "on disk; an encrypted stream's consumers need --key-file to be read (without it their checksums are " +
            "checked); a damaged state file is reported (exit 1)."
    })
public final class InspectCommand extends ToolCommand
{
    /** Subjects shown in the text summary; --json lists them all. */
    static final int SUBJECT_ROWS = 20;

    @Parameters(index = "0", paramLabel = "DIR", description = "The stream directory (holding stream.json).")
    Path dir;

    @Option(names = "--json", description = "Print JSON for machines instead of tables.")
    boolean json;

    @Mixin
    KeyFileOption keyFile;

    @Override
    protected int execute() throws Exception
    {
        final StreamFolder folder = StreamFolder.open(dir);
        final StreamKey key = keyFile.unlock(folder);
        // Reads the files without the lock either way; says when a writer is appending meanwhile.
        final WriterStatus writer = WriterStatus.read(dir);
        if (null != writer && writer.live())
        {
            (json ? err() : out()).println(writer.describe() + " (as far as it had published when read; the newest " +
                "records may be mid-write)");
        }
        final Inspection inspection;
        try
        {
            inspection = Inspection.of(folder, key);
        }
        finally
        {
            if (null != key)
            {
                key.wipe();
            }
        }
        if (json)
        {
            out().println(Json.write(inspection.toJson()));
        }
        else
        {
            print(inspection, out());
        }
        return inspection.problems.isEmpty() ? ExitCode.OK : ExitCode.PROBLEMS;
    }

    private static void print(final Inspection inspection, final PrintWriter out)
    {
        final StreamFolder folder = inspection.folder;
        out.println("stream   " + folder.name() + "  " + folder.root());
        final StringBuilder config = new StringBuilder();
        inspection.config().forEach((key, value) -> config.append(config.length() == 0 ? "" : ", ")
            .append(key).append(' ').append(value));
        out.println("config   " + config + "  (stream.json)");
        if (folder.encrypted())
        {
            out.println("key      " + (null == inspection.key ? "none given: nothing is decrypted; subjects stay " +
                "sealed and footers are shown unverified (--key-file FILE to verify them)" :
                inspection.key.keyFile() + " matches " + folder.keyFile().getFileName() + "; subjects opened, " +
                "footer MACs verified, no record decrypted"));
        }
        if (null == inspection.state)
        {
            printWithoutState(inspection, out);
        }
        else
        {
            printState(inspection, out);
            printSubjects(inspection, out);
            printBlocks(inspection, out);
            printFooters(inspection, out);
        }
        printCursors(inspection.cursors, out);
        printConsumers(inspection.consumers, out);
        printProblems(inspection.problems, out);
    }

    private static void printWithoutState(final Inspection inspection, final PrintWriter out)
    {
        out.println("state    " + (null == inspection.stateProblem ?
            "state.db is missing: the stream has not been closed cleanly since it was created, or is open now. " +
                "Opening it rebuilds the state by scanning the blocks." :
            "state.db is unusable: " + inspection.stateProblem));
        out.println();
        out.println("block files  " + inspection.blockFileSizes.size() + " in " + inspection.folder.blocksDir() +
            " (from the directory listing; contents not read)");
        if (!inspection.blockFileSizes.isEmpty())
        {
            final Table table = new Table("FILE", "BYTES", "SIZE").alignRight(1, 2);
            inspection.blockFileSizes.forEach((name, size) -> table.row(name, size, Units.bytes(size)));
            table.print(out, "  ");
        }
    }

    private static void printState(final Inspection inspection, final PrintWriter out)
    {
        final var state = inspection.state;
        out.println("state    state.db " + Units.bytes(inspection.stateFileSize) + ", written " +
            Instant.ofEpochMilli(inspection.stateFileModifiedMillis));
        out.println("  messages    " + Units.count(state.msgs()) + "  (" + Units.bytes(state.bytes()) +
            " of subjects, headers and payloads)");
        out.println("  sequences   " + (state.lastSeq() == 0 ? "none yet" : state.firstSeq() + ".." + state.lastSeq() +
            ", " + Units.count(inspection.deleted()) + " without a message (skipped, removed or lost)"));
        out.println("  removed     " + Units.count(state.removedCount()) +
            " sequence(s) listed as removed (tombstones " +
            "applied; in blocks still on disk)");
        out.println("  times       " + (state.msgs() == 0 ? "-" :
            Units.instant(state.firstTime()) + " .. " + Units.instant(state.lastTime())));
        out.println("  next block  " + state.nextBlockId());
    }

    private static void printSubjects(final Inspection inspection, final PrintWriter out)
    {
        out.println();
        if (!inspection.subjectsReadable())
        {
            out.println("subjects  encrypted (use --key-file): state.db holds " +
                Units.count(inspection.state.subjectCount()) + " subject(s), sealed with the stream's key");
            return;
        }
        final List<SubjectSummary> subjects = inspection.subjects;
        out.println("subjects  " + Units.count(subjects.size()));
        if (subjects.isEmpty())
        {
            return;
        }
        final Table table = new Table("SUBJECT", "MSGS", "FIRST SEQ", "LAST SEQ").alignRight(1, 2, 3);
        subjects.stream().limit(SUBJECT_ROWS).forEach((subject) ->
            table.row(subject.subject(), Units.count(subject.msgs()), subject.first(), subject.last()));
        table.print(out, "  ");
        if (subjects.stream().anyMatch((subject) -> !subject.firstExact() || !subject.lastExact()))
        {
            out.println("  >=N, <=N: a bound — a removal took the subject's first (last) message and the store looks " +
                "for the exact one only when asked");
        }
        if (subjects.size() > SUBJECT_ROWS)
        {
            out.println("  ... and " + Units.count(subjects.size() - SUBJECT_ROWS) + " more (--json lists all)");
        }
    }

    private static void printBlocks(final Inspection inspection, final PrintWriter out)
    {
        final List<BlockSummary> blocks = inspection.blocks;
        final boolean encrypted = inspection.folder.encrypted();
        out.println();
        out.println("blocks  " + blocks.size() + (blocks.isEmpty() ? "" : " (" + (blocks.size() - 1) +
            " sealed, 1 active)") + "; encrypted: " + (encrypted ? "yes" : "no") + " (stream.json)");
        if (!blocks.isEmpty())
        {
            final Table table = encrypted ?
                new Table("BLOCK", "SEQUENCES", "MSGS", "MSG BYTES", "DATA", "STATUS", "ENCRYPTED", "LAST CHECKSUM",
                    "FOOTER").alignRight(0, 2, 3, 4) :
                new Table("BLOCK", "SEQUENCES", "MSGS", "MSG BYTES", "DATA", "STATUS", "ENCRYPTED", "LAST CHECKSUM")
                    .alignRight(0, 2, 3, 4);
            for (final BlockSummary block : blocks)
            {
                final Object[] cells = { block.id(), block.sequences(), Units.count(block.msgs()),
                    Units.bytes(Integer.toUnsignedLong(block.msgBytes())), Units.bytes(block.dataBytes()),
                    block.active() ? "active" : "sealed", encrypted ? "yes" : "no",
                    block.isEmpty() ? "-" : Units.checksum(block.lastChecksum()) };
                if (encrypted)
                {
                    final FooterCheck footer = inspection.footers.get(block.id());
                    final Object[] withFooter = Arrays.copyOf(cells, cells.length + 1);
                    withFooter[cells.length] = null == footer ? "-" : footer.status().label();
                    table.row(withFooter);
                }
                else
                {
                    table.row(cells);
                }
            }
            table.print(out, "  ");
        }
        if (!inspection.newerBlockFiles.isEmpty())
        {
            out.println("  + " + inspection.newerBlockFiles.size() + " block file(s) newer than state.db, replayed " +
                "on the next open: " + String.join(", ", inspection.newerBlockFiles));
        }
    }

    /**
     * The footers of an encrypted stream's sealed blocks, field by field.
     */
    private static void printFooters(final Inspection inspection, final PrintWriter out)
    {
        if (inspection.footers.isEmpty())
        {
            return;
        }
        out.println();
        out.println("footers  " + inspection.footers.size() + " sealed block(s), each read from the block file's " +
            "last " + BlockFooterCodec.FOOTER_LENGTH + " bytes; " + (null == inspection.key ?
            "UNVERIFIED: without --key-file their MACs cannot be checked, so these are the bytes as they stand" :
            "MACs verified with the key"));
        final Table table = new Table("BLOCK", "OFFSET", "SEQUENCES", "MSGS", "MSG BYTES", "DATA END",
            "LAST CHECKSUM", "LAST TIME", "FOOTER").alignRight(0, 1, 3, 4, 5);
        for (final BlockSummary block : inspection.blocks)
        {
            final FooterCheck footer = inspection.footers.get(block.id());
            if (null == footer)
            {
                continue;
            }
            if (footer.hasFields())
            {
                final var fields = footer.fields();
                table.row(block.id(), footer.offset(), footer.sequences(), Units.count(fields.messageCount()),
                    Units.bytes(fields.byteCount()), fields.dataEndOffset(), Units.checksum((int)fields.lastChecksum()),
                    fields.messageCount() == 0 ? "-" : Units.instant(fields.lastTime()), footer.status().label());
            }
            else
            {
                table.row(block.id(), footer.offset(), "-", "-", "-", "-", "-", "-", footer.status().label());
            }
        }
        table.print(out, "  ");
        if (inspection.footers.values().stream().anyMatch((footer) -> footer.status() == FooterCheck.Status.NONE))
        {
            out.println("  none: sealed without a durable footer, as a machine crash right after a block roll can " +
                "leave it; the engine reads such a block record by record");
        }
    }

    private static void printCursors(final List<CursorSummary> cursors, final PrintWriter out)
    {
        if (cursors.isEmpty())
        {
            return;
        }
        out.println();
        out.println("cursors  " + cursors.size() + " named tailer(s), as durable on disk (cursors/)");
        final Table table = new Table("NAME", "ACKED", "RESUMES AT").alignRight(1, 2);
        for (final CursorSummary cursor : cursors)
        {
            if (null == cursor.problem())
            {
                table.row(cursor.name(), cursor.ackedSeq(), cursor.ackedSeq() + 1);
            }
            else
            {
                table.row(cursor.name(), "DAMAGED", "-");
            }
        }
        table.print(out, "  ");
    }

    private static void printConsumers(final List<ConsumerSummary> consumers, final PrintWriter out)
    {
        if (consumers.isEmpty())
        {
            return;
        }
        out.println();
        out.println("consumers  " + consumers.size() + " consumer(s), as on disk (consumers/)");
        final Table table = new Table("NAME", "ACK FLOOR", "DELIVERED", "PENDING", "REDELIVERED")
            .alignRight(1, 2, 3, 4);
        for (final ConsumerSummary consumer : consumers)
        {
            if (null != consumer.problem())
            {
                table.row(consumer.name(), "DAMAGED", "-", "-", "-");
            }
            else if (consumer.gone())
            {
                table.row(consumer.name(), "gone", "(deleted while inspected)", "-", "-");
            }
            else if (null == consumer.state())
            {
                table.row(consumer.name(), "sealed", "(--key-file)", "-", "-");
            }
            else
            {
                final ConsumerState state = consumer.state();
                table.row(consumer.name(), state.ackFloor().stream() + " (c" + state.ackFloor().consumer() + ")",
                    state.delivered().stream() + " (c" + state.delivered().consumer() + ")", state.pending().size(),
                    state.redelivered().size());
            }
        }
        table.print(out, "  ");
    }

    private static void printProblems(final List<String> problems, final PrintWriter out)
    {
        if (!problems.isEmpty())
        {
            out.println();
            out.println("PROBLEMS  " + problems.size());
            problems.forEach((problem) -> out.println("  - " + problem));
        }
    }
}
