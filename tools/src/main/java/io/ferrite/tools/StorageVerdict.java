package io.ferrite.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns doctor's measurements into plain sentences, each judged against a named threshold.
 */
final class StorageVerdict
{
    /**
     * Above this fsync p99 the disk, not Ferrite, bounds durability: a local NVMe/SSD does a 4 KiB write+fdatasync in
     * about 0.1 ms (docs table: p50 53-66 us, p99 91-120 us), and at 10 ms every group commit is a visible stall.
     */
    static final long FSYNC_P99_SLOW_NANOS = 10_000_000;
    /** Above this fsync p99 the storage is slower than local flash; worth a note, not an alarm. */
    static final long FSYNC_P99_FAST_NANOS = 1_000_000;
    /** Above this direct-read p99, reading a block that is not in the page cache is a visible stall. */
    static final long READ_P99_SLOW_NANOS = 10_000_000;
    /** Fewer free blocks than this and appends are a few rolls away from a StoreFullException. */
    static final int FREE_BLOCKS_MIN = 4;
    /** Below this usable fraction the filesystem is nearly full, whoever fills it. */
    static final double FREE_SPACE_MIN_FRACTION = 0.10;
    /** Below this free-inode fraction new block files may fail to be created with space still left. */
    static final double FREE_INODES_MIN_FRACTION = 0.05;

    private StorageVerdict()
    {
    }

    static List<Finding> judge(
        final Path dir, final FilesystemInfo filesystem, final InodeCount inodes, final StorageProbe.Result probe,
        final long blockSize, final StreamFolder stream)
    {
        final List<Finding> findings = new ArrayList<>();
        if (filesystem.network())
        {
            findings.add(Finding.problem(dir + " is on " + filesystem.type() + ", a network filesystem: every fsync " +
                "is a round trip to a server and mmap coherence is best-effort. Keep Ferrite streams on local " +
                "storage."));
        }
        final long fsyncP99 = probe.writeSync().getValueAtPercentile(99);
        if (fsyncP99 > FSYNC_P99_SLOW_NANOS)
        {
            findings.add(Finding.problem("fsync p99 is " + Units.nanos(fsyncP99) + ": storage latency, not Ferrite, " +
                "bounds durability here (local flash does a 4 KiB write+fdatasync in about 0.1 ms)."));
        }
        else if (fsyncP99 > FSYNC_P99_FAST_NANOS)
        {
            findings.add(Finding.note("fsync p99 is " + Units.nanos(fsyncP99) + ": slower than local flash (about " +
                "0.1 ms); flush() and group commits wait this long."));
        }
        else
        {
            findings.add(Finding.ok("fsync p99 is " + Units.nanos(fsyncP99) + ": the storage does not bound " +
                "durability; a slow flush would be Ferrite's to explain."));
        }
        final long readP99 = probe.read().getValueAtPercentile(99);
        if (!probe.directRead())
        {
            findings.add(Finding.note("reads were served by the page cache (this filesystem refused O_DIRECT), so " +
                "read latency (p99 " + Units.nanos(readP99) + ") does not measure the device."));
        }
        else if (readP99 > READ_P99_SLOW_NANOS)
        {
            findings.add(Finding.problem("read p99 is " + Units.nanos(readP99) + ": reading blocks that are not in " +
                "the page cache stalls this long."));
        }
        else
        {
            findings.add(Finding.ok("read p99 is " + Units.nanos(readP99) + " from the device (O_DIRECT)."));
        }
        judgeSpace(filesystem, inodes, blockSize, findings);
        if (null != stream && stream.encrypted())
        {
            findings.add(Files.isRegularFile(stream.keyFile()) ?
                Finding.note("stream " + stream.name() + " is encrypted: inspect works without its key; verify " +
                    "and dump take --key-file (verify then authenticates every record and footer).") :
                Finding.problem("stream " + stream.name() + " is encrypted but " + stream.keyFile() + " is missing: " +
                    "without it no block can be read, with any key. Restore it from a backup of the stream " +
                    "directory."));
        }
        return findings;
    }

    private static void judgeSpace(
        final FilesystemInfo filesystem, final InodeCount inodes, final long blockSize, final List<Finding> findings)
    {
        if (filesystem.usableBytes() < FREE_BLOCKS_MIN * blockSize)
        {
            findings.add(Finding.problem("only " + Units.bytes(filesystem.usableBytes()) + " usable: fewer than " +
                FREE_BLOCKS_MIN + " blocks of " + Units.bytes(blockSize) + " fit, and an append that needs a new " +
                "block fails with StoreFullException. Free space or move the stream."));
        }
        else if (filesystem.usableFraction() < FREE_SPACE_MIN_FRACTION)
        {
            findings.add(Finding.problem("only " + Units.percent(filesystem.usableFraction()) + " of the filesystem " +
                "is usable (" + Units.bytes(filesystem.usableBytes()) + "): free space before it fills."));
        }
        else
        {
            findings.add(Finding.ok(Units.bytes(filesystem.usableBytes()) + " usable (" +
                Units.percent(filesystem.usableFraction()) + "): room for " +
                Units.count(filesystem.usableBytes() / blockSize) + " blocks of " + Units.bytes(blockSize) + "."));
        }
        if (null == inodes)
        {
            findings.add(Finding.note("free inodes unknown (df -Pi gave no answer)."));
        }
        else if (inodes.freeFraction() < FREE_INODES_MIN_FRACTION)
        {
            findings.add(Finding.problem("only " + inodes.describe() + " inodes are free: new block files may fail " +
                "to be created while space remains."));
        }
    }

    static boolean healthy(final List<Finding> findings)
    {
        return findings.stream().noneMatch((finding) -> finding.level() == Finding.Level.PROBLEM);
    }
}
