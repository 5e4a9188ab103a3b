package io.ferrite.tools;

import io.ferrite.engine.FileStreamStore;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code ferrite demo [DIR]}: the README's main job on the embedded default, measured — once on a plaintext stream
 * and once on an encrypted one, with the same workload, so the cost of encryption is one number.
 */
@Command(
    name = "demo",
    header = "Append a million messages to a plaintext and an encrypted stream and show what it cost.",
    description = {
        "Create a plaintext stream in DIR/plaintext and an encrypted one in DIR/encrypted (DIR defaults to a new " +
            "temp directory), append the same messages to each with a progress bar, then print for each " +
            "throughput, append latency percentiles, writeFullState time per phase, close and reopen time and what " +
            "recovery found — and the encrypted throughput as a fraction of the plaintext one.",
        "The encrypted stream's key is a new random 32-byte key, written as hex to DIR/demo.key (owner-only, " +
            "rw-------) for --key-file. The directory is left for inspect, verify and dump."
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
    static final String ENCRYPTED_DIR = "encrypted";
    static final String KEY_FILE = "demo.key";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR",
        description = "Where to create the demo streams (default: a new temp directory).")
    Path dir;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "" + MESSAGES_DEFAULT,
        description = "Messages to append to each stream (default ${DEFAULT-VALUE}).")
    long messages;

    @Option(names = "--payload-size", paramLabel = "BYTES", defaultValue = "" + PAYLOAD_SIZE_DEFAULT,
        description = "Payload bytes per message (default ${DEFAULT-VALUE}).")
    int payloadSize;

    @Option(names = "--block-size", paramLabel = "BYTES", defaultValue = "" + StreamConfig.BLOCK_SIZE_DEFAULT,
        description = "Block file size, a multiple of 4096 (default ${DEFAULT-VALUE}).")
    int blockSize;

    /**
     * What one stream's run measured.
     */
    private record StreamRun(long appendNanos, Histogram appendLatency, long reopenNanos, boolean complete)
    {
        double throughput(final long messages)
        {
            return messages / (appendNanos / 1e9);
        }
    }

    @Override
    protected int execute() throws IOException
    {
        if (messages < 1)
        {
            throw ToolException.error("--messages must be at least 1: " + messages);
        }
        final DemoWorkload workload = new DemoWorkload(payloadSize);
        final StreamConfig plaintextConfig = StreamConfig.builder(STREAM_NAME).blockSize(blockSize)
            .maxMsgSize(Math.max(payloadSize, Math.min(StreamConfig.MAX_MSG_SIZE_DEFAULT, blockSize / 2))).build();
        final Path root = null == dir ? Files.createTempDirectory("ferrite-demo-") : dir;
        final Path plaintextDir = root.resolve(PLAINTEXT_DIR);
        final Path encryptedDir = root.resolve(ENCRYPTED_DIR);
        final Path keyFile = root.resolve(KEY_FILE);
        requireFresh(plaintextDir);
        requireFresh(encryptedDir);
        if (Files.exists(keyFile))
        {
            throw ToolException.error(keyFile + " already exists — the demo writes a new key there and will not " +
                "replace one that may still unlock a stream; pass a new or empty DIR");
        }
        final byte[] key = new byte[KeyFileOption.KEY_LENGTH];
        new SecureRandom().nextBytes(key);
        final StreamConfig encryptedConfig;
        try
        {
            encryptedConfig = plaintextConfig.toBuilder().encryptionKey(key).build();
            Files.createDirectories(root);
            writeKeyFile(keyFile, key);
        }
        finally
        {
            Arrays.fill(key, (byte)0);
        }
        final PrintWriter out = out();
        out.println("demo     " + Units.count(messages) + " messages of " + Units.bytes(workload.payloadSize()) +
            " over " + DemoWorkload.SUBJECTS.length + " subjects into each of " + plaintextDir + " and " +
            encryptedDir);
        out.println("key      " + keyFile + ": the encrypted stream's key, 32 random bytes as hex, owner-only " +
            "(rw-------); pass it to verify and dump with --key-file");
        out.flush();

        out.println();
        out.println("== plaintext stream  " + plaintextDir);
        final StreamRun plaintext = runStream(plaintextDir, plaintextConfig, workload);
        out.println();
        out.println("== encrypted stream  " + encryptedDir + "  (AES-256-GCM per record, key in " + keyFile + ")");
        final StreamRun encrypted = runStream(encryptedDir, encryptedConfig, workload);

        out.println();
        out.println("encrypted vs plaintext: appends " + Units.count(Math.round(encrypted.throughput(messages))) +
            " vs " + Units.count(Math.round(plaintext.throughput(messages))) + " msgs/s, " +
            Units.format("%.2f", encrypted.throughput(messages) / plaintext.throughput(messages)) +
            "x the plaintext throughput; append p99 " +
            Units.nanos(encrypted.appendLatency().getValueAtPercentile(99)) + " vs " +
            Units.nanos(plaintext.appendLatency().getValueAtPercentile(99)) + "; reopen " +
            Units.nanos(encrypted.reopenNanos()) + " vs " + Units.nanos(plaintext.reopenNanos()));
        out.println();
        out.println("left in " + root + "; look at them with:");
        out.println("  ferrite inspect " + plaintextDir);
        out.println("  ferrite verify " + plaintextDir);
        out.println("  ferrite dump " + plaintextDir + " --subject " + DemoWorkload.SUBJECTS[0] + " --limit 3");
        out.println("  ferrite inspect " + encryptedDir + "    (no key: nothing decrypted, footers unverified)");
        out.println("  ferrite verify " + encryptedDir + " --key-file " + keyFile);
        out.println("  ferrite dump " + encryptedDir + " --key-file " + keyFile + " --subject " +
            DemoWorkload.SUBJECTS[0] + " --limit 3");
        return plaintext.complete() && encrypted.complete() ? ExitCode.OK : ExitCode.PROBLEMS;
    }

    /**
     * Append, flush, write the state, close and reopen one stream, printing what each step cost.
     */
    private StreamRun runStream(final Path streamDir, final StreamConfig config, final DemoWorkload workload)
    {
        final PrintWriter out = out();
        final Histogram appendLatency;
        final long appendNanos;
        final long flushNanos;
        final StoreStats stats;
        final long closeNanos;
        final FileStreamStore store = FileStreamStore.open(streamDir, config);
        try
        {
            final ProgressBar progress = ProgressBar.onStderr(err(), "append", messages, Units::count);
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
        final long reopenNanos;
        final RecoveryReport recovery;
        final StreamState reopened;
        try (FileStreamStore reopenedStore = FileStreamStore.open(streamDir, config))
        {
            reopenNanos = System.nanoTime() - reopenStart;
            recovery = reopenedStore.recoveryReport();
            reopened = reopenedStore.state();
            final StoreStats reopenStats = reopenedStore.stats();
            final DemoReport report = new DemoReport(out, messages, workload.payloadSize());
            report.appends(appendNanos, appendLatency);
            report.flush(flushNanos, stats);
            report.stateWrites(stats);
            report.blockRolls(stats);
            report.closeAndReopen(closeNanos, reopenNanos, recovery, reopened, reopenStats);
        }
        out.flush();
        final boolean complete = reopened.msgs() == messages && recovery.isClean();
        if (!complete)
        {
            err().println("ferrite demo: after reopening, " + streamDir + " holds " + reopened.msgs() + " of " +
                messages + " messages" + (recovery.isClean() ? "" : " and recovery reported losses: " +
                    recovery.lost()));
        }
        return new StreamRun(appendNanos, appendLatency, reopenNanos, complete);
    }

    /**
     * Write {@code key} as hex to a new file that is owner-only from the moment it exists.
     */
    private static void writeKeyFile(final Path file, final byte[] key) throws IOException
    {
        try
        {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            // The creation mode was masked by the umask, which can only have removed bits.
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        }
        catch (final UnsupportedOperationException ex)
        {
            throw ToolException.error("cannot create " + file + " readable by its owner only: this filesystem has " +
                "no POSIX permissions — pass a DIR on one that has");
        }
        catch (final FileAlreadyExistsException ex)
        {
            throw ToolException.error(file + " already exists — pass a new or empty DIR");
        }
        Files.write(file, KeyFileOption.toHex(key).getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
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
