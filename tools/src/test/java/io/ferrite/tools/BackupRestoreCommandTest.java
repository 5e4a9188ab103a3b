package io.ferrite.tools;

import io.ferrite.engine.FileStreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ferrite backup} and {@code ferrite restore}: a stream written to a snapshot file and back, plaintext and
 * encrypted; a damaged snapshot and a non-empty target refused with exit 2 and nothing published.
 */
final class BackupRestoreCommandTest
{
    @TempDir
    Path dir;

    @Test
    void aStreamBacksUpAndRestoresWithItsMessages() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final Path file = dir.resolve("s.snapshot");
        final Cli.Run backup = Cli.run("backup", stream, file);
        assertThat(backup.exitCode()).as(backup.toString()).isZero();
        assertThat(backup.out()).contains("up to seq 2000").contains(file.toString());

        final Path restored = dir.resolve("r");
        final Cli.Run restore = Cli.run("restore", file, restored);
        assertThat(restore.exitCode()).as(restore.toString()).isZero();
        assertThat(restore.out()).contains("up to seq 2000").contains("2000 messages");
        try (FileStreamStore store = FileStreamStore.open(restored, Streams.config()))
        {
            assertThat(store.load(1234).payload()).isEqualTo(Streams.payload(1234));
        }
        assertThat(Cli.run("backup", stream, file).err()).contains("exists already");
    }

    @Test
    void anEncryptedStreamNeedsItsKeyBothWays() throws IOException
    {
        final Path stream = Streams.encrypted(dir.resolve("s"), 500);
        final Path key = Streams.hexKeyFile(dir.resolve("key.hex"), Streams.KEY);
        final Path file = dir.resolve("s.snapshot");
        assertThat(Cli.run("backup", stream, file).exitCode()).isEqualTo(ExitCode.ERROR);
        assertThat(Cli.run("backup", stream, file, "--key-file", key).exitCode()).isZero();
        final Path restored = dir.resolve("r");
        assertThat(Cli.run("restore", file, restored).err()).contains("--key-file");
        final Cli.Run restore = Cli.run("restore", file, restored, "--key-file", key);
        assertThat(restore.exitCode()).as(restore.toString()).isZero();
        try (FileStreamStore store = FileStreamStore.open(restored, Streams.encryptedConfig()))
        {
            assertThat(store.load(321).payload()).isEqualTo(Streams.payload(321));
        }
    }

    @Test
    void aDamagedSnapshotOrANonEmptyTargetIsRefused() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 300);
        final Path file = dir.resolve("s.snapshot");
        assertThat(Cli.run("backup", stream, file).exitCode()).isZero();
        final byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x10;
        final Path damaged = Files.write(dir.resolve("damaged.snapshot"), bytes);
        final Path restored = dir.resolve("r");
        final Cli.Run run = Cli.run("restore", damaged, restored);
        assertThat(run.exitCode()).isEqualTo(ExitCode.ERROR);
        assertThat(run.err()).contains("checksum mismatch").contains("snapshot offset");
        assertThat(restored).doesNotExist();

        final Cli.Run nonEmpty = Cli.run("restore", file, stream);
        assertThat(nonEmpty.exitCode()).isEqualTo(ExitCode.ERROR);
        assertThat(nonEmpty.err()).contains("is not empty");
    }
}
