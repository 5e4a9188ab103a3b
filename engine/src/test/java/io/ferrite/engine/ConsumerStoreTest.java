package io.ferrite.engine;

import io.ferrite.engine.consumer.ConsumerStateFile;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.Pending;
import io.ferrite.store.SequencePair;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A file store's consumer states on disk: when an update reaches the file in each sync mode, what a reopen finds,
 * encryption and tamper detection, damaged files, deletion, and a state left ahead of the stream by a crash.
 */
class ConsumerStoreTest
{
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final ConsumerConfig EXPLICIT = ConsumerConfig.builder().build();
    private static final byte[] KEY = new byte[32];

    static
    {
        Arrays.fill(KEY, (byte)7);
    }

    @TempDir
    Path dir;

    private static StreamConfig config(final SyncMode mode)
    {
        return StreamConfig.builder("consumers").blockSize(16 * 1024).maxMsgSize(256).syncMode(mode)
            .syncInterval(Duration.ofMillis(5)).build();
    }

    private static StreamConfig encrypted()
    {
        return StreamConfig.builder("consumers").blockSize(16 * 1024).maxMsgSize(256).syncMode(SyncMode.ALWAYS)
            .encryptionKey(KEY).build();
    }

    private Path file(final String name)
    {
        return dir.resolve(ConsumerStateDescriptor.DIRECTORY).resolve(ConsumerStateDescriptor.fileName(name));
    }

    private ConsumerState onDisk(final String name)
    {
        return ConsumerStateFile.read(file(name), name, null);
    }

    private static void append(final FileStreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("t", null, "secret-payload".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void deliverAndAck(final ConsumerStore k)
    {
        k.updateDelivered(1, 1, 1, 1_000);
        k.updateDelivered(2, 2, 1, 2_000);
        k.updateDelivered(3, 3, 1, 3_000);
        k.updateDelivered(4, 2, 2, 4_000);
        k.updateAcks(1, 1);
    }

    private static ConsumerState expected()
    {
        final TreeMap<Long, Pending> pending = new TreeMap<>(Map.of(2L, new Pending(2, 4_000), 3L,
            new Pending(3, 3_000)));
        return new ConsumerState(new SequencePair(4, 3), new SequencePair(1, 1), pending,
            new TreeMap<>(Map.of(2L, 1L)));
    }

    @Test
    void alwaysWritesEachUpdateBeforeItReturns()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            append(store, 5);
            final ConsumerStore k = store.consumer("c", EXPLICIT);
            assertThat(onDisk("c")).as("created on disk at once").isEqualTo(ConsumerState.EMPTY);
            deliverAndAck(k);
            assertThat(onDisk("c")).isEqualTo(expected()).isEqualTo(k.state());
            assertThat(ConsumerState.decode(k.encodedState())).isEqualTo(expected());
        }
    }

    @Test
    void intervalWritesOnTheFlushersTick() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            append(store, 5);
            final ConsumerStore k = store.consumer("c", EXPLICIT);
            deliverAndAck(k);
            final long deadline = System.nanoTime() + WAIT_NANOS;
            while (!onDisk("c").equals(expected()))
            {
                assertThat(System.nanoTime() - deadline).as("the flusher wrote the state within 30 s").isNegative();
                Thread.sleep(1);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void aTruncationLowersEveryConsumersFileBeforeItReturnsOpenOrNot(final SyncMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            append(store, 5);
            deliverAndAck(store.consumer("idle", EXPLICIT));
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            final ConsumerStore open = store.consumer("open", EXPLICIT);
            deliverAndAck(open);
            store.truncate(2);
            final ConsumerState lowered = new ConsumerState(new SequencePair(4, 2), new SequencePair(1, 1),
                new TreeMap<>(Map.of(2L, new Pending(2, 4_000))), new TreeMap<>(Map.of(2L, 1L)));
            assertThat(onDisk("idle")).as("a consumer not open is lowered on disk, in every mode")
                .isEqualTo(lowered);
            assertThat(onDisk("open")).as("an open one is written at once, in every mode").isEqualTo(lowered);
            assertThat(open.state()).isEqualTo(lowered);
            append(store, 2);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            final ConsumerStore idle = store.consumer("idle", EXPLICIT);
            assertThat(idle.state().delivered()).isEqualTo(new SequencePair(4, 2));
            idle.updateDelivered(5, 3, 1, 5_000);
            assertThat(idle.state().pending()).as("sequence 3 is a new message, deliverable again").containsKey(3L);
        }
    }

    @Test
    void noneWritesOnClose()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE)))
        {
            append(store, 5);
            deliverAndAck(store.consumer("c", EXPLICIT));
            store.flush().join();
            assertThat(onDisk("c")).as("NONE writes nothing before the close").isEqualTo(ConsumerState.EMPTY);
        }
        assertThat(onDisk("c")).isEqualTo(expected());
    }

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void aReopenFindsTheStateAndGoesOn(final SyncMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            append(store, 5);
            deliverAndAck(store.consumer("c", EXPLICIT));
            store.consumer("other", EXPLICIT);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            assertThat(store.consumerNames()).containsExactly("c", "other");
            final ConsumerStore k = store.consumer("c", EXPLICIT);
            assertThat(k.state()).isEqualTo(expected());
            assertThat(k.updateAcks(4, 2)).isTrue();
            assertThat(k.state().ackFloor()).isEqualTo(new SequencePair(2, 2));
        }
    }

    @Test
    void anEncryptedStreamSealsTheStateAndDetectsTampering() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, encrypted()))
        {
            append(store, 5);
            deliverAndAck(store.consumer("c", EXPLICIT));
            store.consumer("d", EXPLICIT);
        }
        final byte[] sealed = Files.readAllBytes(file("c"));
        assertThat(ConsumerStateDescriptor.sealed(sealed)).isTrue();
        assertThat(ConsumerStateDescriptor.checkFile(sealed)).isEqualTo(ConsumerStateDescriptor.OK);
        assertThatThrownBy(() -> onDisk("c")).as("no key, no state").isInstanceOf(CorruptFileException.class);
        try (FileStreamStore store = FileStreamStore.open(dir, encrypted()))
        {
            assertThat(store.consumer("c", EXPLICIT).state()).isEqualTo(expected());
        }

        // A flipped body byte with the checksum made right again: only the tag can tell.
        final byte[] tampered = sealed.clone();
        tampered[ConsumerStateDescriptor.HEADER_LENGTH + 3] ^= 1;
        ConsumerStateDescriptor.putChecksum(tampered);
        Files.write(file("c"), tampered);
        // Another consumer's sealed file under this name: bound to its own name.
        Files.write(file("d"), sealed);
        try (FileStreamStore store = FileStreamStore.open(dir, encrypted()))
        {
            assertThatThrownBy(() -> store.consumer("c", EXPLICIT)).isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("authenticate").hasMessageContaining(file("c").toString());
            assertThatThrownBy(() -> store.consumer("d", EXPLICIT)).isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("authenticate");
        }

        // A plaintext state put in its place: refused, not taken.
        Files.write(file("c"), ConsumerStateFile.image("c", ConsumerState.EMPTY.encode(), null));
        try (FileStreamStore store = FileStreamStore.open(dir, encrypted()))
        {
            assertThatThrownBy(() -> store.consumer("c", EXPLICIT)).isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("plaintext");
        }
    }

    @Test
    void aDamagedFileIsRefusedNamingItUntilDeleted() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            append(store, 5);
            deliverAndAck(store.consumer("c", EXPLICIT));
        }
        final byte[] bytes = Files.readAllBytes(file("c"));
        for (final byte[] damaged : new byte[][]{Arrays.copyOf(bytes, bytes.length - 1), flip(bytes, 20),
            flip(bytes, ConsumerStateDescriptor.HEADER_LENGTH + 2), new byte[0]})
        {
            Files.write(file("c"), damaged);
            try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
            {
                assertThatThrownBy(() -> store.consumer("c", EXPLICIT)).isInstanceOf(CorruptFileException.class)
                    .hasMessageContaining(file("c").toString()).hasMessageContaining("damaged");
                assertThat(store.consumerNames()).containsExactly("c");
            }
        }
        // Damage that keeps the checksum right (a bad writer, not the disk): the decoder still refuses it.
        final byte[] forged = ConsumerStateFile.image("c", new byte[]{ConsumerStateDescriptor.ENCODING_MAGIC, 1, 5},
            null);
        Files.write(file("c"), forged);
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            assertThatThrownBy(() -> store.consumer("c", EXPLICIT)).isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("does not decode");
            assertThat(store.deleteConsumer("c")).isTrue();
            assertThat(Files.exists(file("c"))).isFalse();
            assertThat(store.consumerNames()).isEmpty();
            assertThat(store.consumer("c", EXPLICIT).state()).isEqualTo(ConsumerState.EMPTY);
        }
    }

    @Test
    void aStateAheadOfTheStreamAfterACrashForgetsTheDeliveriesThatAreGone() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            append(store, 3);
            store.consumer("c", EXPLICIT);
        }
        // As an INTERVAL state written before the stream's tail was forced would be, after the tail was lost.
        final TreeMap<Long, Pending> pending = new TreeMap<>(Map.of(3L, new Pending(2, 5), 5L, new Pending(3, 6)));
        final ConsumerState ahead = new ConsumerState(new SequencePair(3, 5), new SequencePair(1, 2), pending,
            new TreeMap<>(Map.of(5L, 1L)));
        Files.write(file("c"), ConsumerStateFile.image("c", ahead.encode(), null));
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            final ConsumerStore k = store.consumer("c", EXPLICIT);
            final ConsumerState state = k.state();
            assertThat(state.delivered()).isEqualTo(new SequencePair(3, 3));
            assertThat(state.ackFloor()).as("never lowered by it").isEqualTo(new SequencePair(1, 2));
            assertThat(state.pending()).containsOnlyKeys(3L);
            assertThat(state.redelivered()).isEmpty();
            assertThat(onDisk("c")).as("written at once").isEqualTo(state);
            append(store, 2);
            k.updateDelivered(4, 4, 1, 7);
        }
    }

    /**
     * Files in consumers/ that end in .state but carry no name a consumer may have (a leftover temp name, a space, a
     * character the rule refuses) are not consumers: listing, snapshots and truncation pass them by.
     */
    @Test
    void strayStateFilesAreNoConsumers() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            append(store, 5);
            deliverAndAck(store.consumer("c", EXPLICIT));
        }
        for (final String stray : new String[]{".tmp.state", "bad name.state", "x@y.state", "a+b.state"})
        {
            Files.write(file("c").resolveSibling(stray), new byte[]{1, 2, 3});
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            assertThat(store.consumerNames()).containsExactly("c");
            store.snapshot(Channels.newChannel(new ByteArrayOutputStream()));
            store.truncate(3);
            assertThat(onDisk("c").delivered().stream()).isEqualTo(3);
        }
    }

    private static byte[] flip(final byte[] bytes, final int offset)
    {
        final byte[] copy = bytes.clone();
        copy[offset] ^= 0x10;
        return copy;
    }
}
