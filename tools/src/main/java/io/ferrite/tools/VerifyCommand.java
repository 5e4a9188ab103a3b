package io.ferrite.tools;

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
    header = "Check every record checksum, read-only; report damaged ranges.",
    description = {
        "Check the checksum of every record in every block file, probing zero runs too, and report damaged ranges " +
            "with file, offset and sequences. Also checks each block against state.db (the file exists, and a " +
            "record ends where state.db says, with the checksum it recorded).",
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
        keyFile.check(folder);
        final VerifyReport report = new StreamVerifier(folder, err()).run();
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

    private void print(final VerifyReport report, final PrintWriter out)
    {
        final StreamFolder folder = report.folder();
        out.println("verify   stream " + folder.name() + " in " + folder.root() + " (plaintext)");
        out.println("checked  " + Units.count(report.messages() + report.skips()) + " records (" +
            Units.count(report.messages()) + " messages, " + Units.count(report.skips()) + " skips) in " +
            report.blocks().size() + " block file(s), " + Units.bytes(report.bytes()) + ", sequences " +
            (report.firstSeq() == 0 ? "none" : report.firstSeq() + ".." + report.lastSeq()) + ", in " +
            Units.nanos(report.elapsedNanos()));
        out.println("state    " + report.stateNote());
        if (listBlocks && !report.blocks().isEmpty())
        {
            out.println();
            final Table table = new Table("FILE", "BYTES", "RECORDS", "SEQUENCES", "VALID END", "RESULT")
                .alignRight(1, 2, 4);
            report.blocks().forEach((block) -> table.row(block.file().getFileName(), block.fileBytes(),
                Units.count(block.records()), block.sequences(), block.validEnd(), block.status()));
            table.print(out, "  ");
        }
        if (report.ok())
        {
            out.println("result   OK: every record's checksum verifies");
            return;
        }
        out.println();
        out.println("DAMAGED  " + report.damaged().size() + " range(s); " + report.damagedBlocks() + " of " +
            report.blocks().size() + " block file(s) affected");
        final Table table = new Table("FILE", "OFFSET", "BYTES", "SEQUENCES", "WHAT").alignRight(1, 2);
        report.damaged().forEach((range) -> table.row(range.file(), range.fromOffset(),
            range.toOffset() - range.fromOffset(), range.sequences(), range.what()));
        table.print(out, "  ");
        out.println("result   DAMAGED: the sequences listed cannot be read back. Opening the stream cuts a torn tail " +
            "of the newest block and reports it; damaged records elsewhere stay unreadable (reads of them fail with " +
            "CorruptRecordException). Restore them from a replica or backup if they matter; keep a copy of the " +
            "directory before repairing anything.");
    }
}
