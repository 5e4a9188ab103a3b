package io.ferrite.tools;

import io.ferrite.store.FileStreamStore;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * {@code ferrite demo [DIR]}: the README's main job on the embedded default, measured.
 */
@Command(
    name = "demo",
    header = "Append a million messages to a new stream and show what it cost.",
    description = {
        "Create a plaintext stream in DIR/plaintext (DIR defaults to a new temp directory), append messages with a " +
            "progress bar, then print throughput, append latency percentiles, writeFullState time per phase, close " +
            "and reopen time and what recovery found. The directory is left for inspect, verify and dump.",
        "The encrypted stream of the full demo awaits the encryption module (this build has none)."
    })
public final class DemoCommand extends ToolCommand
{
    /** A million messages: enough to roll a couple of dozen 8 MiB blocks and to see the latency tail. */
    static final long MESSAGES_DEFAULT = 1_000_000;
    /** 128 B: the payload size the benchmarks compare peers at. */
    static final int PAYLOAD_SIZE_DEFAULT = 128;
    /** State writes timed after the appends: several, so a percentile per phase means something. */
    static final int STATE_WRITES = 5;
    static final String STREAM_NAME = "demo";
    static final String PLAINTEXT_DIR = "plaintext";

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR",
        description = "Where to create the demo streams (default: a new temp directory).")
    Path dir;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "" + MESSAGES_DEFAULT,
        description = "Messages to append (default ${DEFAULT-VALUE}).")
    long messages;

    @Option(names = "--payload-size", paramLabel = "BYTES", defaultValue = "" + PAYLOAD_SIZE_DEFAULT,
        description = "Payload bytes per message (default ${DEFAULT-VALUE}).")
    int payloadSize;

    @Option(names = "--block-size", paramLabel = "BYTES", defaultValue = "" + StreamConfig.BLOCK_SIZE_DEFAULT,
        description = "Block file size, a multiple of 4096 (default ${DEFAULT-VALUE}).")
    int blockSize;

    @Override
    protected int execute() throws IOException
    {
        if (messages < 1)
        {
            throw ToolException.error("--messages must be at least 1: " + messages);
        }
        final DemoWorkload workload = new DemoWorkload(payloadSize);
        final StreamConfig config = StreamConfig.builder(STREAM_NAME).blockSize(blockSize)
            .maxMsgSize(Math.max(payloadSize, Math.min(StreamConfig.MAX_MSG_SIZE_DEFAULT, blockSize / 2))).build();
        final Path root = null == dir ? Files.createTempDirectory("ferrite-demo-") : dir;
        final Path streamDir = root.resolve(PLAINTEXT_DIR);
        requireFresh(streamDir);
        final PrintWriter out = out();
        out.println("demo     " + Units.count(messages) + " messages of " + Units.bytes(workload.payloadSize()) +
            " over " + DemoWorkload.SUBJECTS.length + " subjects into " + streamDir);
        out.flush();

        final Histogram appendLatency;
        final long appendNanos;
        final long flushNanos;
        final StoreStats stats;
        final long closeNanos;
        final FileStreamStore store = FileStreamStore.open(streamDir, config);
        try
        {
            final ProgressBar progress = new ProgressBar(err(), "append", messages, Units::count);
            final long start = System.nanoTime();
            appendLatency = workload.run(store, messages, progress);
            appendNanos = System.nanoTime() - start;
            progress.finish();
            final long flushStart = System.nanoTime();
            store.flush().join();
            flushNanos = System.nanoTime() - flushStart;
            for (int i = 0; i < STATE_WRITES; i++)
            {
                store.writeFullState();
            }
            stats = store.stats();
        }
        catch (final RuntimeException ex)
        {
            closeAfterFailure(store, ex);
            throw ex;
        }
        final long closeStart = System.nanoTime();
        store.close();
        closeNanos = System.nanoTime() - closeStart;

        final long reopenStart = System.nanoTime();
        final RecoveryReport recovery;
        final StreamState reopened;
        final StoreStats reopenStats;
        try (FileStreamStore reopenedStore = FileStreamStore.open(streamDir, config))
        {
            final long reopenNanos = System.nanoTime() - reopenStart;
            recovery = reopenedStore.recoveryReport();
            reopened = reopenedStore.state();
            reopenStats = reopenedStore.stats();
            final DemoReport report = new DemoReport(out, messages, workload.payloadSize());
            report.appends(appendNanos, appendLatency);
            report.flush(flushNanos, stats);
            report.stateWrites(stats);
            report.blockRolls(stats);
            report.closeAndReopen(closeNanos, reopenNanos, recovery, reopened, reopenStats);
        }
        out.println();
        out.println("encrypted stream: not created — this build has no encryption; it awaits the encryption issue");
        out.println("left in " + root + "; look at it with:");
        out.println("  ferrite inspect " + streamDir);
        out.println("  ferrite verify " + streamDir);
        out.println("  ferrite dump " + streamDir + " --subject " + DemoWorkload.SUBJECTS[0] + " --limit 3");
        final boolean complete = reopened.msgs() == messages && recovery.isClean();
        if (!complete)
        {
            err().println("ferrite demo: after reopening, the stream holds " + reopened.msgs() + " of " + messages +
                " messages" + (recovery.isClean() ? "" : " and recovery reported losses: " + recovery.lost()));
        }
        return complete ? ExitCode.OK : ExitCode.PROBLEMS;
    }

    private static void closeAfterFailure(final FileStreamStore store, final RuntimeException failure)
    {
        try
        {
            store.close();
        }
        catch (final RuntimeException closeFailure)
        {
            failure.addSuppressed(closeFailure);
        }
    }

    private static void requireFresh(final Path streamDir) throws IOException
    {
        if (Files.exists(streamDir))
        {
            final boolean empty;
            try (Stream<Path> entries = Files.list(streamDir))
            {
                empty = entries.findAny().isEmpty();
            }
            if (!empty)
            {
                throw ToolException.error(streamDir + " already exists and is not empty — the demo measures a new " +
                    "stream; pass a new or empty DIR");
            }
        }
    }
}
