package io.ferrite.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest
{
    @TempDir
    Path dir;

    @Test
    void appendsToAPlaintextAndAnEncryptedStreamAndLeavesBothToInspectAndVerify() throws IOException
    {
        final Path plaintext = dir.resolve("plaintext");
        final Path encrypted = dir.resolve("encrypted");
        final Path key = dir.resolve("demo.key");

        final Cli.Run demo = Cli.run("demo", dir, "--messages", 20000, "--block-size", 1 << 20);

        assertThat(demo.exitCode()).as(demo.toString()).isZero();
        assertThat(demo.out())
            .contains("demo     20,000 messages of 128 B over 5 subjects into each of " + plaintext + " and " +
                encrypted)
            .contains("key      " + key + ": the encrypted stream's key, 32 random bytes as hex, owner-only")
            .contains("== plaintext stream  " + plaintext, "== encrypted stream  " + encrypted)
            .containsPattern("append   20,000 in .*: [0-9,]+ msgs/s")
            .containsPattern("append\\s+20,000\\s+.*ns|us|ms")
            .contains("P99.9", "P99.99", "MAX")
            .contains("writeFullState  x6") // five by the demo, one by the open of the new stream
            .contains("serialize", "write", "fsync", "rename")
            .containsPattern("close    [0-9.]+ [mun]?s")
            .containsPattern("reopen   [0-9.]+ [mun]?s: LOADED_STATE")
            .containsPattern("encrypted vs plaintext: appends [0-9,]+ vs [0-9,]+ msgs/s, [0-9]+\\.[0-9]{2}x the " +
                "plaintext throughput")
            .contains("ferrite inspect " + plaintext, "ferrite inspect " + encrypted)
            .contains("ferrite verify " + encrypted + " --key-file " + key);
        assertThat(demo.out().split("recovered 20,000 messages, sequences 1..20000, 5 subjects; nothing lost", -1))
            .as("both streams reopen complete").hasSize(3);
        assertThat(demo.err()).contains("append [", "100%");
        assertThat(Files.readString(key)).matches("[0-9a-f]{64}\n");
        assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        final Cli.Run inspect = Cli.run("inspect", plaintext);
        final Cli.Run verify = Cli.run("verify", plaintext);
        final Cli.Run dump = Cli.run("dump", plaintext, "--seq", 20000);
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("messages    20,000", "subjects  5", "demo.orders.eu", " active ");
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("checked  20,000 records", "result   OK");
        assertThat(dump.out()).contains("seq 20000 ", "demo.quotes.fx", "\"demo message 0000020000 ");

        final Cli.Run inspectEncrypted = Cli.run("inspect", encrypted);
        final Cli.Run inspectWithKey = Cli.run("inspect", encrypted, "--key-file", key);
        final Cli.Run verifyEncrypted = Cli.run("verify", encrypted, "--key-file", key);
        final Cli.Run dumpEncrypted = Cli.run("dump", encrypted, "--seq", 20000, "--key-file", key);
        assertThat(inspectEncrypted.exitCode()).as(inspectEncrypted.toString()).isZero();
        assertThat(inspectEncrypted.out())
            .contains("messages    20,000", "subjects  encrypted (use --key-file)", " sealed ", " active ",
                "unverified")
            .doesNotContain("demo.orders.eu");
        assertThat(inspectWithKey.exitCode()).as(inspectWithKey.toString()).isZero();
        assertThat(inspectWithKey.out()).contains("subjects  5", "demo.orders.eu", "verified")
            .doesNotContain("unverified");
        assertThat(verifyEncrypted.exitCode()).as(verifyEncrypted.toString()).isZero();
        assertThat(verifyEncrypted.out())
            .contains("checked  20,000 records", "tags     20,000 message bodies authenticated", "result   OK");
        assertThat(dumpEncrypted.exitCode()).as(dumpEncrypted.toString()).isZero();
        assertThat(dumpEncrypted.out()).contains("seq 20000 ", "demo.quotes.fx", "\"demo message 0000020000 ");
    }

    @Test
    void refusesToReplaceAnExistingKeyFile() throws IOException
    {
        Files.writeString(dir.resolve("demo.key"), "precious");

        final Cli.Run run = Cli.run("demo", dir, "--messages", 10);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains(dir.resolve("demo.key") + " already exists");
        assertThat(Files.readString(dir.resolve("demo.key"))).isEqualTo("precious");
        assertThat(dir.resolve("plaintext")).doesNotExist();
    }

    @Test
    void refusesAStreamDirectoryThatIsNotEmpty()
    {
        Streams.healthy(dir.resolve("plaintext"), 10);

        final Cli.Run run = Cli.run("demo", dir, "--messages", 10);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains(dir.resolve("plaintext") + " already exists and is not empty");
    }

    @Test
    void badOptionsAreUsageErrors()
    {
        assertThat(Cli.run("demo", dir, "--messages", 0).err()).contains("--messages must be at least 1");
        assertThat(Cli.run("demo", dir, "--payload-size", 4).err()).contains("--payload-size must be at least");
        assertThat(Cli.run("demo", dir, "--block-size", 1000).err()).contains("blockSize must be a multiple of 4096");
    }
}
