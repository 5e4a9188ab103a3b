package io.ferrite.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest
{
    @TempDir
    Path dir;

    @Test
    void appendsMeasuresReopensAndLeavesAStreamThatInspectsAndVerifies()
    {
        final Cli.Run demo = Cli.run("demo", dir, "--messages", 20000, "--block-size", 1 << 20);

        assertThat(demo.exitCode()).as(demo.toString()).isZero();
        assertThat(demo.out())
            .contains("demo     20,000 messages of 128 B over 5 subjects into " + dir.resolve("plaintext"))
            .containsPattern("append   20,000 in .*: [0-9,]+ msgs/s")
            .containsPattern("append\\s+20,000\\s+.*ns|us|ms")
            .contains("P99.9", "P99.99", "MAX")
            .contains("writeFullState  x5")
            .contains("serialize", "write", "fsync", "rename")
            .containsPattern("close    [0-9.]+ [mun]?s")
            .containsPattern("reopen   [0-9.]+ [mun]?s: LOADED_STATE")
            .contains("recovered 20,000 messages, sequences 1..20000, 5 subjects; nothing lost")
            .contains("encrypted stream: not created", "awaits the encryption issue")
            .contains("ferrite inspect " + dir.resolve("plaintext"));
        assertThat(demo.err()).contains("append [", "100%");

        final Cli.Run inspect = Cli.run("inspect", dir.resolve("plaintext"));
        final Cli.Run verify = Cli.run("verify", dir.resolve("plaintext"));
        final Cli.Run dump = Cli.run("dump", dir.resolve("plaintext"), "--seq", 20000);

        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("messages    20,000", "subjects  5", "demo.orders.eu", " active ");
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("checked  20,000 records", "result   OK");
        assertThat(dump.out()).contains("seq 20000 ", "demo.quotes.fx", "\"demo message 0000020000 ");
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
