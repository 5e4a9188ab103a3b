package io.ferrite.tools;

import io.ferrite.engine.view.WriterStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * {@code ferrite verify DIR}: every record's checksum, read-only and without the stream's lock.
 */
@Command(
    name = "verify",
    header = "Check every record checksum (and, with the key, every tag), read-only; report damaged ranges.",
    description = {
        "Check the checksum of every record in every block file, probing zero runs too, and report damaged ranges " +
            "with file, offset and sequences. Also checks each block against state.db (the file exists, and a " +
            "record ends where state.db says, with the checksum it recorded).",
        "On an encrypted stream, --key-file also authenticates every message body (its AES-GCM tag), every sealed " +
            "block's footer (its MAC, and that it agrees with the block's records) and state.db's sealed subjects, " +
            "reporting failures with file, offset and sequence. Without the key only checksums are checked, and the " +
            "report says the tags were not.",
        "Read-only: opens block files for reading only, takes no lock and changes nothing, so it is safe next to a " +
            "running application (whose active block's last record may then show as a torn tail)."
    })
public final class VerifyCommand extends ToolCommand
{
    @Parameters(index = "0", paramLabel = "DIR", description = "The stream directory (holding stream.json).")
    Path dir;

    @Mixin
    KeyFileOption keyFile;

    @Option(names = "--blocks", description = "Also list every block file with its records and sequences.")
    boolean listBlocks;

    @Option(names = "--json", description = "Print JSON for machines instead of tables.")
    boolean json;

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
        final VerifyReport report;
        try
        {
            report = new StreamVerifier(folder, key, err()).run();
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
            out().println(Json.write(report.toJson()));
        }
        else
        {
            print(report, out());
        }
        return report.ok() ? ExitCode.OK : ExitCode.PROBLEMS;
    }

    private static String footerSummary(final VerifyReport report)
    {
        final long sealed = Math.max(0, report.blocks().size() - 1);
        final StringBuilder summary = new StringBuilder();
        for (final FooterCheck.Status status : FooterCheck.Status.values())
        {
            final long count = report.footers(status);
            if (count > 0)
            {
                summary.append(summary.length() == 0 ? "" : ", ").append(count).append(' ').append(status.label());
            }
        }
        return sealed + " sealed block(s)" + (summary.length() == 0 ? "" : ": " + summary) +
            (report.footers(FooterCheck.Status.NONE) > 0 ? " (\"none\": sealed without a durable footer, as a " +
                "machine crash right after a block roll can leave it; its records were checked one by one)" : "") +
            (report.authenticated() ? "" : "; footer MACs not checked without --key-file");
    }

    /**
     * What the tombstones removed, and the messages erase overwrote: bodies that cannot verify on purpose.
     */
    private static void printRemovals(final Removals.Summary removals, final PrintWriter out)
    {
        if (removals.tombstones() == 0 && removals.erased() + removals.erasedUnverified() == 0)
        {
            return;
        }
        out.println("removed  " + Units.count(removals.tombstones()) + " tombstone(s)" + (removals.sealed() > 0 ?
            ", sealed: which sequences they remove is readable only with --key-file" :
            " removing " + Units.count(removals.coveredSequences()) + " sequence(s)") + "; " +
            Units.count(removals.erased() + removals.erasedUnverified()) + " message(s) erased" +
            (removals.erased() + removals.erasedUnverified() == 0 ? "" : " (their bodies were overwritten on " +
                "purpose, so their checksums cannot verify: not damage)"));
        if (removals.erasedUnverified() > 0)
        {
            out.println("         " + Units.count(removals.erasedUnverified()) + " of them taken for erased without " +
                "reading a tombstone: each has a verifying header, a body of zeros, and a sealed tombstone after it " +
                "— pass --key-file to check the tombstones' erase flags");
        }
    }

    private void print(final VerifyReport report, final PrintWriter out)
    {
        final StreamFolder folder = report.folder();
        final boolean encrypted = folder.encrypted();
        out.println("verify   stream " + folder.name() + " in " + folder.root() + " (" + (!encrypted ? "plaintext" :
            report.authenticated() ? "encrypted; authenticated with the key in " + report.keyFile() :
            "encrypted; no --key-file: checksums only, record tags and footer MACs not checked") + ")");
        out.println("checked  " + Units.count(report.records()) + " records (" +
            Units.count(report.messages()) + " messages, " + Units.count(report.skips()) + " skips" +
            (report.tombstones() > 0 ? ", " + Units.count(report.tombstones()) + " tombstones" : "") +
            (report.erased() > 0 ? ", " + Units.count(report.erased()) + " erased" : "") + ") in " +
            report.blocks().size() + " block file(s), " + Units.bytes(report.bytes()) + ", sequences " +
            (report.firstSeq() == 0 ? "none" : report.firstSeq() + ".." + report.lastSeq()) + ", in " +
            Units.nanos(report.elapsedNanos()));
        if (report.authenticated())
        {
            out.println("tags     " + Units.count(report.authenticatedMessages()) + " message bodies authenticated" +
                (report.tombstones() > 0 ? ", and " + Units.count(report.tombstones()) + " tombstones" : "") +
                " (AES-GCM tag and timestamp)");
        }
        printRemovals(report.removals(), out);
        if (encrypted)
        {
            out.println("footers  " + footerSummary(report));
        }
        out.println("state    " + report.stateNote());
        if (listBlocks && !report.blocks().isEmpty())
        {
            out.println();
            final Table table = encrypted ?
                new Table("FILE", "BYTES", "RECORDS", "SEQUENCES", "VALID END", "FOOTER", "RESULT").alignRight(1, 2,
                    4) :
                new Table("FILE", "BYTES", "RECORDS", "SEQUENCES", "VALID END", "RESULT").alignRight(1, 2, 4);
            report.blocks().forEach((block) -> table.row(encrypted ?
                new Object[] { block.file().getFileName(), block.fileBytes(), Units.count(block.records()),
                    block.sequences(), block.validEnd(), block.footerLabel(), block.status() } :
                new Object[] { block.file().getFileName(), block.fileBytes(), Units.count(block.records()),
                    block.sequences(), block.validEnd(), block.status() }));
            table.print(out, "  ");
        }
        if (report.ok())
        {
            final String erased = report.erased() == 0 ? "" : " (erased messages aside: erase overwrote their bodies)";
            out.println(!encrypted ? "result   OK: every record's checksum verifies" + erased :
                report.authenticated() ? "result   OK: every record's checksum and every message's authentication " +
                    "tag verify, and every footer present authenticates" + erased :
                "result   OK: every record's checksum verifies" + erased + ". Record tags and footer MACs were NOT " +
                    "checked (no --key-file): checksums catch damage, only tags catch deliberate alteration — pass " +
                    "the stream's key to check them");
            return;
        }
        out.println();
        out.println("DAMAGED  " + report.damaged().size() + " range(s); " + report.damagedBlocks() + " of " +
            report.blocks().size() + " block file(s) affected");
        final Table table = new Table("FILE", "OFFSET", "BYTES", "SEQUENCES", "WHAT").alignRight(1, 2);
        report.damaged().forEach((range) -> table.row(range.file(), range.fromOffset(),
            range.toOffset() - range.fromOffset(), range.sequences(), range.what()));
        table.print(out, "  ");
        if (report.damaged().stream().anyMatch((range) -> range.kind() == DamageKind.TAMPERED_RECORD ||
            range.kind() == DamageKind.TAMPERED_FOOTER))
        {
            out.println("TAMPERED a record whose checksums verify but whose tag does not, or a footer whose MAC " +
                "does not, was altered after it was written (by something that also recomputed any checksums), " +
                "moved, or sealed under another key: treat it as possible tampering, not disk damage.");
        }
        if (report.damaged().stream().allMatch((range) -> range.kind() == DamageKind.TAMPERED_FOOTER ||
            range.kind() == DamageKind.BAD_FOOTER || range.kind() == DamageKind.BAD_EPOCH_SLOT))
        {
            final boolean footers = report.damaged().stream()
                .anyMatch((range) -> range.kind() != DamageKind.BAD_EPOCH_SLOT);
            final boolean slots = report.damaged().stream()
                .anyMatch((range) -> range.kind() == DamageKind.BAD_EPOCH_SLOT);
            out.println("result   DAMAGED: only " + (footers && slots ? "block footers and block headers' tombstone " +
                "epoch slots are" : footers ? "block footers are" : "block headers' tombstone epoch slots are") +
                " affected; every record was checked on its own and reads normally." + (footers ? " The engine does " +
                "not trust such a footer (recovery reports it when it scans the block)." : "") + (slots ? " An epoch " +
                "slot is read only when a removal on a full disk must go into an encrypted tail found on open; a " +
                "damaged one is never taken for an epoch." : "") + " Find out how it changed, and keep a copy of the " +
                "directory before repairing anything.");
            return;
        }
        out.println("result   DAMAGED: the sequences listed cannot be read back. Opening the stream cuts a torn tail " +
            "of the newest block and reports it; damaged records elsewhere stay unreadable (reads of them fail with " +
            "CorruptRecordException). Restore them from a replica or backup if they matter; keep a copy of the " +
            "directory before repairing anything.");
    }
}
