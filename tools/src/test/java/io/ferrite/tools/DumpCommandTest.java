package io.ferrite.tools;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StreamLockedException;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DumpCommandTest
{
    @TempDir
    Path dir;

    @Test
    void printsOneMessageBySequence()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);

        final Cli.Run run = Cli.run("dump", stream, "--seq", 1234);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .containsPattern("^seq 1234  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z  o\\.a\\R")
            .contains("headers  none")
            .contains("payload  100 B  \"message 1234 ");
        assertThat(run.out().lines().filter((line) -> line.startsWith("seq "))).hasSize(1);
    }

    @Test
    void printsMessagesMatchingASubjectUpToTheLimit()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);

        final Cli.Run run = Cli.run("dump", stream, "--subject", "o.b", "--limit", 3);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out().lines().filter((line) -> line.startsWith("seq ")))
            .hasSize(3)
            .allMatch((line) -> line.endsWith("o.b"));
        assertThat(run.out()).contains("seq 2 ", "seq 5 ", "seq 8 ");
    }

    @Test
    void aSubjectFilterTakesWildcardsAndDefaultsToTenMessages()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);

        final Cli.Run run = Cli.run("dump", stream, "--subject", "o.*");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out().lines().filter((line) -> line.startsWith("seq "))).hasSize(10);
    }

    @Test
    void printsHexOnRequestAndForBinaryPayloads()
    {
        final Path stream = dir.resolve("s");
        try (StreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            store.append("bin", new byte[] { 'k', '=', 'v' }, new byte[] { 0, 1, 2, (byte)0xFF });
            store.append("txt", null, "hello\tworld".getBytes());
        }

        final Cli.Run binary = Cli.run("dump", stream, "--seq", 1);
        final Cli.Run hex = Cli.run("dump", stream, "--seq", 2, "--hex");

        assertThat(binary.exitCode()).as(binary.toString()).isZero();
        assertThat(binary.out())
            .contains("headers  3 B  \"k=v\"")
            .contains("payload  4 B, binary:")
            .contains("00000000  00 01 02 ff");
        assertThat(hex.out())
            .contains("payload  11 B:")
            .contains("68 65 6c 6c 6f 09 77 6f  72 6c 64", "|hello.world|");
    }

    @Test
    void aSequenceWithoutAMessageShowsTheNextAndSaysSo()
    {
        final Path stream = dir.resolve("s");
        try (StreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            store.append("a", null, new byte[] { 'x' });
            store.skip();
            store.append("a", null, new byte[] { 'y' });
        }

        final Cli.Run run = Cli.run("dump", stream, "--seq", 2);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).contains("no message at sequence 2 (skipped, removed or damaged");
        assertThat(run.out()).startsWith("seq 3 ");
    }

    @Test
    void nothingToShowExitsOne()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 20);

        final Cli.Run past = Cli.run("dump", stream, "--seq", 21);
        final Cli.Run nomatch = Cli.run("dump", stream, "--subject", "x.y");
        final Cli.Run empty = Cli.run("dump", Streams.empty(dir.resolve("e")), "--seq", 1);

        assertThat(past.exitCode()).isEqualTo(1);
        assertThat(past.err()).contains("no message at or after sequence 21", "sequences 1..20");
        assertThat(nomatch.exitCode()).isEqualTo(1);
        assertThat(nomatch.err()).contains("no message matches subject x.y");
        assertThat(empty.exitCode()).isEqualTo(1);
        assertThat(empty.err()).contains("the stream holds 0 messages");
    }

    @Test
    void aDamagedRecordInASealedBlockIsNotPassedOverSilently()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final int offset = Streams.recordOffsetInFirstBlock(5);
        BlockFiles.flip(Streams.blockFile(stream, 1), offset + RecordDescriptor.HEADER_LENGTH + 10);

        final Cli.Run run = Cli.run("dump", stream, "--seq", 4, "--limit", 3);

        assertThat(run.out()).contains("seq 4 ", "seq 6 ").doesNotContain("seq 5 ");
        assertThat(run.err()).contains("record checksum does not verify", "seq=5", "skipped", "ferrite verify");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void damageFoundWhenOpeningTheStreamIsReportedAndExitsOne()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final StateSnapshot state = Streams.state(stream);
        final int last = state.blockCount() - 1;
        final long seq = state.blockLastSeq(last) - 3;
        final int offset = state.blockWriteOffset(last) - 4 * Streams.FRAME;
        BlockFiles.flip(Streams.blockFile(stream, state.blockId(last)), offset + RecordDescriptor.HEADER_LENGTH + 10);

        final Cli.Run run = Cli.run("dump", stream, "--seq", seq - 1, "--limit", 3);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("opening the stream found damage", "DAMAGED_RECORD",
            Streams.blockFile(stream, state.blockId(last)).toString(), "sequences " + seq + ".." + seq);
        assertThat(run.out()).contains("seq " + (seq - 1) + " ",
            "seq " + (seq + 1) + " ").doesNotContain("seq " + seq + " ");
    }

    @Test
    void seqAndSubjectAreExclusiveAndOneIsRequired()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 20);

        final Cli.Run both = Cli.run("dump", stream, "--seq", 1, "--subject", "o.a");
        final Cli.Run neither = Cli.run("dump", stream);

        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).contains("Missing required argument");
    }

    @Test
    void badNumbersAreUsageErrors()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 20);

        assertThat(Cli.run("dump", stream, "--seq", 0).err()).contains("--seq must be at least 1");
        assertThat(Cli.run("dump", stream, "--seq", 1, "--limit", 0).err()).contains("--limit must be at least 1");
        assertThat(Cli.run("dump", stream, "--seq", "x").exitCode()).isEqualTo(2);
    }

    @Test
    void aStreamOpenElsewhereIsReadThroughTheLiveViewAndSaysSo()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 20);
        try (StreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            Streams.append(store, 21, 30);
            final Cli.Run run = Cli.run("dump", stream, "--seq", 25, "--limit", 2);

            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(run.err()).contains("stream is open by a writer (pid " + ProcessHandle.current().pid() +
                ", epoch 2); reading a live view");
            assertThat(run.out()).contains("message 25 ", "message 26 ").doesNotContain("message 27 ");
            assertThat(store.append("o.a", null, Streams.payload(31))).as("the application's store is untouched")
                .isEqualTo(31);
            assertThatThrownBy(() -> FileStreamStore.open(stream, Streams.config()))
                .as("the writer still holds the lock").isInstanceOf(StreamLockedException.class);
        }
    }

    @Test
    void aMissingDirectoryIsNotCreated()
    {
        final Cli.Run run = Cli.run("dump", dir.resolve("nope"), "--seq", 1);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("no such directory: " + dir.resolve("nope"));
        assertThat(dir.resolve("nope")).doesNotExist();
    }

    @Test
    void aKeyFileForAPlaintextStreamIsRefusedNamingTheFile()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 10);
        final Path key = Streams.hexKeyFile(dir.resolve("k.key"), Streams.KEY);

        final Cli.Run run = Cli.run("dump", stream, "--seq", 1, "--key-file", key);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("stream orders is not encrypted", key.toString());
    }
}
