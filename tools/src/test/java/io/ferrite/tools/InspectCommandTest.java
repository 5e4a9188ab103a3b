package io.ferrite.tools;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.format.CursorDescriptor;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest
{
    @TempDir
    Path dir;

    @Test
    void showsConfigStateSubjectsAndEveryBlockFromStateDb()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final StateSnapshot state = Streams.state(stream);

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("stream   orders")
            .contains("blockSize 65536", "encrypted false")
            .contains("messages    2,000")
            .contains("sequences   1..2000, 0 without a message")
            .contains("subjects  3")
            .containsPattern("o\\.a\\s+667\\s+1\\s+1999")
            .contains("blocks  " + state.blockCount() + " (" + (state.blockCount() - 1) + " sealed, 1 active)")
            .contains("LAST CHECKSUM")
            .contains(Units.checksum(state.blockLastChecksum(0)))
            .contains(Units.checksum(state.blockLastChecksum(state.blockCount() - 1)));
        assertThat(run.out().lines().filter((line) -> line.contains(" sealed "))).hasSize(state.blockCount() - 1);
        assertThat(run.out().lines().filter((line) -> line.contains(" active "))).hasSize(1);
    }

    @Test
    void readsNoBlockFile() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final String before = Cli.run("inspect", stream).out();
        for (int id = 1; Files.exists(Streams.blockFile(stream, id)); id++)
        {
            Files.write(Streams.blockFile(stream, id), new byte[0]);
        }

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo(before);
    }

    @Test
    void jsonCarriesTheSameFacts()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);

        final Cli.Run run = Cli.run("inspect", stream, "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out().strip()).startsWith("{").endsWith("}");
        assertThat(run.out())
            .contains("\"name\": \"orders\"", "\"blockSize\": 65536", "\"encrypted\": false")
            .contains("\"msgs\": 2000", "\"lastSeq\": 2000")
            .contains("\"subject\": \"o.a\"", "\"msgs\": 667")
            .contains("\"status\": \"sealed\"", "\"status\": \"active\"")
            .contains("\"lastChecksum\": \"", "\"problems\": []");
    }

    @Test
    void listsTheNamedTailersCursorsAndReportsADamagedOne() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 20);
        try (StreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            try (NamedTailer billing = store.createTailer("billing"))
            {
                billing.poll((view) ->
                {
                }, 12);
                billing.ack(12);
            }
            store.createTailer("audit").close();
            store.createTailer("broken").close();
        }
        final Cli.Run healthy = Cli.run("inspect", stream);
        assertThat(healthy.exitCode()).as(healthy.toString()).isZero();
        assertThat(healthy.out()).contains("cursors  3 named tailer(s)")
            .containsPattern("billing\\s+12\\s+13").containsPattern("audit\\s+0\\s+1");

        final Path broken = stream.resolve(CursorDescriptor.DIRECTORY).resolve(CursorDescriptor.fileName("broken"));
        Files.write(broken, new byte[CursorDescriptor.FILE_LENGTH]);
        final Cli.Run damaged = Cli.run("inspect", stream, "--json");
        assertThat(damaged.exitCode()).as(damaged.toString()).isEqualTo(1);
        assertThat(damaged.out()).contains("\"name\": \"billing\"", "\"ackedSeq\": 12")
            .contains("cursor of tailer 'broken' is damaged").contains(broken.toString());
    }

    @Test
    void listsTheConsumersAndReportsADamagedOne() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 20);
        try (StreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            final ConsumerStore billing = store.consumer("billing", ConsumerConfig.builder().build());
            for (int seq = 1; seq <= 5; seq++)
            {
                billing.updateDelivered(seq, seq, 1, seq * 1_000L);
            }
            billing.updateDelivered(6, 4, 2, 6_000L);
            billing.updateAcks(1, 1);
            billing.updateAcks(2, 2);
            store.consumer("broken", ConsumerConfig.builder().build());
        }
        final Cli.Run healthy = Cli.run("inspect", stream);
        assertThat(healthy.exitCode()).as(healthy.toString()).isZero();
        assertThat(healthy.out()).contains("consumers  2 consumer(s)")
            .containsPattern("billing\\s+2 \\(c2\\)\\s+5 \\(c6\\)\\s+3\\s+1")
            .containsPattern("broken\\s+0 \\(c0\\)\\s+0 \\(c0\\)\\s+0\\s+0");

        final Path broken = stream.resolve(ConsumerStateDescriptor.DIRECTORY)
            .resolve(ConsumerStateDescriptor.fileName("broken"));
        final byte[] bytes = Files.readAllBytes(broken);
        bytes[ConsumerStateDescriptor.HEADER_LENGTH] ^= 1;
        Files.write(broken, bytes);
        final Cli.Run damaged = Cli.run("inspect", stream, "--json");
        assertThat(damaged.exitCode()).as(damaged.toString()).isEqualTo(1);
        assertThat(damaged.out()).contains("\"name\": \"billing\"", "\"ackFloorStreamSeq\": 2",
                "\"deliveredStreamSeq\": 5", "\"pending\": 3", "\"redelivered\": 1")
            .contains("state of consumer 'broken' is damaged").contains(broken.toString());
    }

    /**
     * A consumer file sealed in a plaintext stream, or plaintext in an encrypted one, is one the engine refuses:
     * inspect reports it (even without the key), where it used to show the sealed one as merely sealed and the
     * plaintext one as healthy. A stray {@code .state} file whose name no consumer may have is not listed.
     */
    @Test
    void flagsAConsumerSealedOrNotTheOtherWayFromTheStreamAndSkipsStrayFiles() throws IOException
    {
        final Path plain = Streams.healthy(dir.resolve("plain"), 5);
        final Path encrypted = Streams.encrypted(dir.resolve("encrypted"), 5);
        try (StreamStore store = FileStreamStore.open(plain, Streams.config()))
        {
            store.consumer("plain", ConsumerConfig.builder().build()).updateDelivered(1, 1, 1, 1);
        }
        try (StreamStore store = FileStreamStore.open(encrypted, Streams.encryptedConfig()))
        {
            store.consumer("sealed", ConsumerConfig.builder().build()).updateDelivered(1, 1, 1, 1);
        }
        final Path plainFile = consumerFile(plain, "plain");
        final Path sealedFile = consumerFile(encrypted, "sealed");
        Files.copy(sealedFile, consumerFile(plain, "sealed"));
        Files.copy(plainFile, consumerFile(encrypted, "plain"));
        Files.write(consumerFile(plain, "plain").resolveSibling("bad name.state"), new byte[]{1});

        final Cli.Run inPlain = Cli.run("inspect", plain);
        assertThat(inPlain.exitCode()).as(inPlain.toString()).isEqualTo(1);
        assertThat(inPlain.out()).contains("consumers  2 consumer(s)").doesNotContain("bad name")
            .contains("state of consumer 'sealed' is damaged: the state is sealed, but the stream is plaintext")
            .doesNotContain("state of consumer 'plain'");

        final Cli.Run inEncrypted = Cli.run("inspect", encrypted);
        assertThat(inEncrypted.exitCode()).as(inEncrypted.toString()).isEqualTo(1);
        assertThat(inEncrypted.out())
            .contains("state of consumer 'plain' is damaged: the state is plaintext in an encrypted stream")
            .doesNotContain("state of consumer 'sealed'");
    }

    /**
     * A consumer deleted between the listing and the read (the stream is running) is reported gone, not an abort.
     */
    @Test
    void aConsumerFileDeletedBeforeItIsReadIsReportedGone() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 5);
        final ConsumerSummary gone = ConsumerSummary.of("left", consumerFile(stream, "left"), false, null);
        assertThat(gone.gone()).isTrue();
        assertThat(gone.problem()).isNull();
        assertThat(gone.state()).isNull();
        assertThat(gone.toJson()).containsEntry("gone", true);
    }

    private static Path consumerFile(final Path stream, final String name)
    {
        return stream.resolve(ConsumerStateDescriptor.DIRECTORY).resolve(ConsumerStateDescriptor.fileName(name));
    }

    @Test
    void anEmptyStreamHasNoBlocks()
    {
        final Path stream = Streams.empty(dir.resolve("s"));

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("messages    0", "sequences   none yet", "subjects  0", "blocks  0");
    }

    @Test
    void withoutStateDbItSaysSoAndListsBlockFilesByNameAndSize() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        Files.delete(stream.resolve("state.db"));

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("state.db is missing")
            .contains("00000000000000000001.blk", "65536")
            .contains("00000000000000000002.blk");
    }

    @Test
    void anUnusableStateDbIsAProblem() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        BlockFiles.flip(stream.resolve("state.db"), 100);

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).contains("state.db is unusable", "checksum mismatch", "00000000000000000001.blk",
            "PROBLEMS");
    }

    @Test
    void aBlockFileListedInStateButMissingIsAProblem() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        Files.delete(Streams.blockFile(stream, 2));

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).contains("PROBLEMS", "state.db lists block 2", "00000000000000000002.blk", "is missing");
    }

    @Test
    void aMissingDirectoryIsAnErrorNamingIt()
    {
        final Cli.Run run = Cli.run("inspect", dir.resolve("nope"));

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("ferrite inspect: no such directory: " + dir.resolve("nope"));
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aDirectoryWithoutAStreamIsAnErrorThatSuggestsStreamsBelowIt()
    {
        Streams.healthy(dir.resolve("plaintext"), 10);

        final Cli.Run run = Cli.run("inspect", dir);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("not a Ferrite stream directory", "has no stream.json",
            "did you mean " + dir.resolve("plaintext"));
    }

    @Test
    void aFileIsNotAStreamDirectory() throws IOException
    {
        final Path file = Files.writeString(dir.resolve("file.txt"), "x");

        final Cli.Run run = Cli.run("inspect", file);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("not a directory: " + file);
    }
}
