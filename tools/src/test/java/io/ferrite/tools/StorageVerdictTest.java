package io.ferrite.tools;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StorageVerdictTest
{
    private static final Path DIR = Path.of("/var/lib/ferrite/orders");
    private static final long GIB = 1L << 30;
    private static final FilesystemInfo LOCAL = new FilesystemInfo("ext4", "/dev/nvme0n1p2", 100 * GIB, 200 * GIB,
        false);
    private static final InodeCount INODES = new InodeCount(1_000_000, 900_000);

    @Test
    void slowFsyncIsBlamedOnTheStorage()
    {
        final List<Finding> verdict = judge(LOCAL, INODES, probe(180_000_000, 50_000, true));

        assertThat(verdict.get(0).level()).isEqualTo(Finding.Level.PROBLEM);
        assertThat(verdict.get(0).message()).matches("fsync p99 is 180\\.\\d ms: storage latency, not Ferrite, " +
            "bounds durability here \\(local flash does a 4 KiB write\\+fdatasync in about 0\\.1 ms\\)\\.");
        assertThat(StorageVerdict.healthy(verdict)).isFalse();
    }

    @Test
    void fastLocalStorageIsHealthy()
    {
        final List<Finding> verdict = judge(LOCAL, INODES, probe(90_000, 40_000, true));

        assertThat(StorageVerdict.healthy(verdict)).isTrue();
        assertThat(verdict).allMatch((finding) -> finding.level() == Finding.Level.OK);
        assertThat(verdict.get(0).message()).startsWith("fsync p99 is 90.");
    }

    @Test
    void middlingFsyncIsANoteNotAProblem()
    {
        final List<Finding> verdict = judge(LOCAL, INODES, probe(3_000_000, 40_000, true));

        assertThat(verdict.get(0).level()).isEqualTo(Finding.Level.NOTE);
        assertThat(StorageVerdict.healthy(verdict)).isTrue();
    }

    @Test
    void networkFilesystemsAreFlagged()
    {
        assertThat(FilesystemInfo.isNetwork("nfs4")).isTrue();
        assertThat(FilesystemInfo.isNetwork("cifs")).isTrue();
        assertThat(FilesystemInfo.isNetwork("smb3")).isTrue();
        assertThat(FilesystemInfo.isNetwork("fuse.sshfs")).isTrue();
        assertThat(FilesystemInfo.isNetwork("ext4")).isFalse();
        assertThat(FilesystemInfo.isNetwork("xfs")).isFalse();
        assertThat(FilesystemInfo.isNetwork("tmpfs")).isFalse();

        final FilesystemInfo nfs = new FilesystemInfo("nfs4", "server:/export", 100 * GIB, 200 * GIB, true);
        final List<Finding> verdict = judge(nfs, INODES, probe(90_000, 40_000, true));

        assertThat(StorageVerdict.healthy(verdict)).isFalse();
        assertThat(verdict.get(0).message()).contains(DIR + " is on nfs4, a network filesystem");
    }

    @Test
    void spaceForFewerThanFourBlocksIsAProblem()
    {
        final FilesystemInfo full = new FilesystemInfo("ext4", "/dev/sda1", 20L << 20, 200 * GIB, false);

        final List<Finding> verdict = judge(full, INODES, probe(90_000, 40_000, true));

        assertThat(verdict).anyMatch((finding) -> finding.level() == Finding.Level.PROBLEM &&
            finding.message().contains("only 20.0 MiB usable") && finding.message().contains("StoreFullException"));
    }

    @Test
    void fewFreeInodesIsAProblemAndUnknownInodesANote()
    {
        final List<Finding> few = judge(LOCAL, new InodeCount(1_000_000, 10_000), probe(90_000, 40_000, true));
        final List<Finding> unknown = judge(LOCAL, null, probe(90_000, 40_000, true));

        assertThat(few).anyMatch((finding) -> finding.level() == Finding.Level.PROBLEM &&
            finding.message().contains("inodes are free"));
        assertThat(unknown).anyMatch((finding) -> finding.level() == Finding.Level.NOTE &&
            finding.message().contains("free inodes unknown"));
    }

    @Test
    void pageCacheReadsAreNotPassedOffAsDeviceLatency()
    {
        final List<Finding> verdict = judge(LOCAL, INODES, probe(90_000, 1_000, false));

        assertThat(verdict).anyMatch((finding) -> finding.level() == Finding.Level.NOTE &&
            finding.message().contains("page cache"));
    }

    @Test
    void dfOutputIsParsed()
    {
        final InodeCount count = InodeCount.parse("""
            Filesystem       Inodes  IUsed    IFree IUse% Mounted on
            /dev/vda       16777216 405453 16371763    3% /
            """);

        assertThat(count).isEqualTo(new InodeCount(16_777_216, 16_371_763));
        assertThat(InodeCount.parse("Filesystem Inodes IUsed IFree IUse% Mounted on\nnone - - - - /x")).isNull();
        assertThat(InodeCount.parse("")).isNull();
        assertThat(new InodeCount(0, 0).describe()).contains("not limited");
    }

    @Test
    void anEncryptedStreamIsANoteAndItsMissingStreamKeyAProblem(@TempDir final Path dir) throws IOException
    {
        final StreamFolder stream = StreamFolder.open(Streams.encrypted(dir.resolve("s"), 10));

        final List<Finding> withKey = StorageVerdict.judge(DIR, LOCAL, INODES, probe(90_000, 40_000, true), 8 << 20,
            stream);
        Files.delete(stream.keyFile());
        final List<Finding> withoutKey = StorageVerdict.judge(DIR, LOCAL, INODES, probe(90_000, 40_000, true),
            8 << 20, stream);

        assertThat(withKey).anyMatch((finding) -> finding.level() == Finding.Level.NOTE &&
            finding.message().contains("stream orders is encrypted: inspect works without its key"));
        assertThat(StorageVerdict.healthy(withKey)).isTrue();
        assertThat(withoutKey).anyMatch((finding) -> finding.level() == Finding.Level.PROBLEM &&
            finding.message().contains(stream.keyFile() + " is missing"));
        assertThat(StorageVerdict.healthy(withoutKey)).isFalse();
    }

    private static List<Finding> judge(final FilesystemInfo filesystem, final InodeCount inodes,
        final StorageProbe.Result probe)
    {
        return StorageVerdict.judge(DIR, filesystem, inodes, probe, 8 << 20, null);
    }

    private static StorageProbe.Result probe(final long fsyncNanos, final long readNanos, final boolean direct)
    {
        final Histogram writes = new Histogram(3);
        final Histogram reads = new Histogram(3);
        for (int i = 0; i < 100; i++)
        {
            writes.recordValue(fsyncNanos);
            reads.recordValue(readNanos);
        }
        return new StorageProbe.Result(writes, reads, direct, 1_000_000_000L);
    }
}
