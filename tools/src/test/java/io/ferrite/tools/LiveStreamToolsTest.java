package io.ferrite.tools;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamLockedException;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code inspect}, {@code verify} and {@code dump} on a stream a writer has open (here in this JVM, as another
 * process would): they work, say so, take no lock and leave the writer as it was.
 */
class LiveStreamToolsTest
{
    private static final String LIVE = "stream is open by a writer (pid " + ProcessHandle.current().pid() +
        ", epoch 1); reading a live view";

    @TempDir
    Path dir;

    @Test
    void inspectVerifyAndDumpReadAPlaintextStreamWhileItsWriterAppends()
    {
        final Path stream = dir.resolve("live");
        try (StreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            Streams.append(store, 1, 40);

            final Cli.Run inspect = Cli.run("inspect", stream);
            assertThat(inspect.out()).as(inspect.toString()).contains(LIVE);
            final Cli.Run verify = Cli.run("verify", stream);
            assertThat(verify.out()).as(verify.toString()).contains(LIVE);
            assertThat(verify.exitCode()).as(verify.toString()).isZero();
            final Cli.Run json = Cli.run("verify", stream, "--json");
            assertThat(json.err()).as(json.toString()).contains(LIVE);
            assertThat(json.out()).doesNotContain(LIVE);

            Streams.append(store, 41, 50);
            final Cli.Run dump = Cli.run("dump", stream, "--seq", 48, "--limit", 5);
            assertThat(dump.exitCode()).as(dump.toString()).isZero();
            assertThat(dump.err()).contains(LIVE);
            assertThat(dump.out()).contains("message 48 ", "message 50 ");

            assertThat(store.append("o.a", null, Streams.payload(51))).isEqualTo(51);
            assertThatThrownBy(() -> FileStreamStore.open(stream, Streams.config()))
                .isInstanceOf(StreamLockedException.class);
        }
        final Cli.Run closed = Cli.run("dump", stream, "--seq", 51);
        assertThat(closed.exitCode()).as(closed.toString()).isZero();
        assertThat(closed.err()).doesNotContain("open by a writer");
    }

    @Test
    void dumpDecryptsALiveEncryptedStreamWithTheKeyFile()
    {
        final Path stream = dir.resolve("secret");
        final Path keyFile = Streams.hexKeyFile(dir.resolve("orders.key"), Streams.KEY);
        try (StreamStore store = FileStreamStore.open(stream, Streams.encryptedConfig()))
        {
            Streams.append(store, 1, 12);
            final Cli.Run dump = Cli.run("dump", stream, "--subject", "o.b", "--key-file", keyFile);
            assertThat(dump.exitCode()).as(dump.toString()).isZero();
            assertThat(dump.err()).contains(LIVE);
            assertThat(dump.out()).contains("message 2 ", "message 11 ").doesNotContain("message 3 ");
            final Cli.Run wrong = Cli.run("dump", stream, "--seq", 1, "--key-file",
                Streams.hexKeyFile(dir.resolve("wrong.key"), Streams.key(7)));
            assertThat(wrong.exitCode()).as(wrong.toString()).isEqualTo(2);
        }
    }
}
