package io.ferrite.tools;

import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.store.StreamConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code ferrite doctor DIR}: is it the storage or is it Ferrite? One command instead of a page of iostat, dmesg and
 * find.
 */
@Command(
    name = "doctor",
    header = "Measure the storage under DIR and say whether it or Ferrite bounds latency.",
    description = {
        "Measure the storage under DIR and say whether it, or Ferrite, bounds latency: 4 KiB write+fdatasync and " +
            "read latency (HdrHistogram percentiles over a bounded time), free space and inodes, the filesystem type " +
            "(network filesystems are flagged), and for a stream directory its blocks and encryption. Ends with a " +
            "plain verdict.",
        "Writes one temp file (.ferrite-doctor-*.tmp, 1 MiB) in DIR and deletes it; touches nothing else and takes " +
            "no lock."
    })
public final class DoctorCommand extends ToolCommand
{
    /** Long enough for a few thousand fsyncs on local flash, short enough to wait for. */
    static final String DURATION_DEFAULT = "2s";
    /** A longer probe is a benchmark, not a check: use the bench harness for that. */
    static final Duration DURATION_MAX = Duration.ofMinutes(5);
    /** Said when the stream directory has no histogram log. */
    static final String NO_STORE_HISTOGRAMS = "none recorded: the application did not log them; configure " +
        "StreamConfig.histogramLog(dir.resolve(\"" + StreamConfig.HISTOGRAM_LOG_FILE_NAME +
        "\"), period) and doctor shows flush, fsync and writeFullState latency from it";

    @Parameters(index = "0", paramLabel = "DIR",
        description = "A stream directory, or any directory on the storage to check.")
    Path dir;

    @Option(names = "--duration", paramLabel = "TIME", defaultValue = DURATION_DEFAULT,
        converter = DurationConverter.class,
        description = "How long to measure, split between writes and reads, e.g. 200ms, 2s (default ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--json", description = "Print JSON for machines instead of tables.")
    boolean json;

    @Override
    protected int execute() throws IOException
    {
        if (duration.isZero() || duration.isNegative() || duration.compareTo(DURATION_MAX) > 0)
        {
            throw ToolException.error("--duration must be more than 0 and at most " + DURATION_MAX.toMinutes() +
                " minutes: " + duration);
        }
        if (!Files.isDirectory(dir))
        {
            throw ToolException.error((Files.exists(dir) ? "not a directory: " : "no such directory: ") + dir +
                " — pass the stream directory, or any directory on the storage to check");
        }
        final StreamFolder stream = Files.isRegularFile(dir.resolve(StreamDirectory.METADATA_FILE)) ?
            StreamFolder.open(dir) : null;
        final StreamReport streamReport = null == stream ? null : StreamReport.of(stream);
        final FilesystemInfo filesystem = FilesystemInfo.of(dir);
        final InodeCount inodes = InodeCount.of(dir);
        final StorageProbe.Result probe = probe();
        final long blockSize = null == stream ? StreamConfig.BLOCK_SIZE_DEFAULT : stream.metadata().blockSize();
        final List<Finding> verdict = StorageVerdict.judge(dir, filesystem, inodes, probe, blockSize, stream);
        if (json)
        {
            out().println(Json.write(toJson(filesystem, inodes, probe, streamReport, verdict)));
        }
        else
        {
            print(out(), filesystem, inodes, probe, streamReport, verdict);
        }
        return StorageVerdict.healthy(verdict) ? ExitCode.OK : ExitCode.PROBLEMS;
    }

    private StorageProbe.Result probe() throws IOException
    {
        try
        {
            return StorageProbe.run(dir, duration);
        }
        catch (final IOException ex)
        {
            throw ToolException.error("could not measure the storage: " + describe(ex) + ". doctor writes a 1 MiB " +
                "temp file in " + dir + "; run it as a user who may write there");
        }
    }

    private void print(
        final PrintWriter out, final FilesystemInfo filesystem, final InodeCount inodes,
        final StorageProbe.Result probe, final StreamReport stream, final List<Finding> verdict)
    {
        out.println("storage under " + dir.toAbsolutePath());
        out.println("  filesystem  " + filesystem.type() + " on " + filesystem.device() +
            (filesystem.network() ? "  NETWORK FILESYSTEM" : "  (local)"));
        out.println("  space       " + Units.bytes(filesystem.usableBytes()) + " usable of " +
            Units.bytes(filesystem.totalBytes()) + " (" + Units.percent(filesystem.usableFraction()) + ")");
        out.println("  inodes      " + (null == inodes ? "unknown (df -Pi gave no answer)" : inodes.describe()));
        out.println();
        out.println("measured for " + Units.nanos(probe.elapsedNanos()) + " on a 1 MiB temp file in " + dir + ":");
        final Table table = LatencySummary.table();
        table.row(LatencySummary.of(probe.writeSync()).cells("write 4 KiB + fdatasync"));
        table.row(LatencySummary.of(probe.read()).cells(
            "read 4 KiB " + (probe.directRead() ? "(O_DIRECT)" : "(page cache)")));
        table.print(out, "  ");
        out.println();
        if (null == stream)
        {
            out.println("stream  none here (no stream.json in " + dir + "): storage checked only");
        }
        else
        {
            stream.print(out);
        }
        final Map<String, org.HdrHistogram.Histogram> logged = StoreHistogramLog.read(dir);
        if (null == logged)
        {
            out.println("  store histograms  " + NO_STORE_HISTOGRAMS);
        }
        else
        {
            out.println("  store histograms  from " + StreamConfig.HISTOGRAM_LOG_FILE_NAME +
                " (the application's own measurements, all intervals):");
            final Table recorded = LatencySummary.table();
            for (final String name : StoreHistogramLog.SHOWN)
            {
                if (logged.containsKey(name) && logged.get(name).getTotalCount() > 0)
                {
                    recorded.row(LatencySummary.of(logged.get(name)).cells(name));
                }
            }
            recorded.print(out, "    ");
        }
        out.println();
        out.println("verdict");
        verdict.forEach((finding) -> out.println("  " + finding));
    }

    private Map<String, Object> toJson(
        final FilesystemInfo filesystem, final InodeCount inodes, final StorageProbe.Result probe,
        final StreamReport stream, final List<Finding> verdict)
    {
        final Map<String, Object> json = Json.object();
        json.put("directory", dir.toAbsolutePath().toString());
        json.put("filesystem", filesystem.toJson());
        json.put("inodes", null == inodes ? null : inodes.toJson());
        final Map<String, Object> measured = Json.object();
        measured.put("elapsedMillis", probe.elapsedNanos() / 1_000_000);
        measured.put("ioBytes", StorageProbe.IO_SIZE);
        measured.put("writeFdatasync", LatencySummary.of(probe.writeSync()).toJson());
        measured.put("read", LatencySummary.of(probe.read()).toJson());
        measured.put("readDirect", probe.directRead());
        json.put("measured", measured);
        json.put("stream", null == stream ? null : stream.toJson());
        final Map<String, org.HdrHistogram.Histogram> logged = StoreHistogramLog.read(dir);
        if (null == logged)
        {
            json.put("storeHistograms", NO_STORE_HISTOGRAMS);
        }
        else
        {
            final Map<String, Object> histograms = Json.object();
            logged.forEach((name, histogram) -> histograms.put(name, LatencySummary.of(histogram).toJson()));
            json.put("storeHistograms", histograms);
        }
        json.put("verdict", verdict.stream().map(Finding::toJson).toList());
        json.put("healthy", StorageVerdict.healthy(verdict));
        return json;
    }
}
