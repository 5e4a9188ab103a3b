package io.ferrite.engine.environment;

import io.ferrite.format.CatalogDescriptor;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.Pending;
import io.ferrite.store.SequencePair;
import io.ferrite.store.StorageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code catalog.snapshot} round-trips every field, and a file that is cut short, of another kind, of another version,
 * or damaged anywhere is refused naming the file, never half-read.
 */
class CatalogFileTest
{
    @TempDir
    Path root;

    private static EnvironmentSnapshot sample()
    {
        final ConsumerState state = new ConsumerState(new SequencePair(3, 12), new SequencePair(1, 10),
            new TreeMap<>(Map.of(11L, new Pending(2, 500L), 12L, new Pending(3, 600L))),
            new TreeMap<>(Map.of(11L, 1L)));
        return new EnvironmentSnapshot(123_456_789L, List.of(
            new EnvironmentSnapshot.Stream("orders", true, 5, 12, 8, 1_024, 11,
                List.of(new EnvironmentSnapshot.Consumer("billing", state),
                    new EnvironmentSnapshot.Consumer("audit.v2", ConsumerState.EMPTY))),
            new EnvironmentSnapshot.Stream("closed", false, 0, 0, 0, 0, 0, List.of())));
    }

    @Test
    void everyFieldRoundTrips()
    {
        CatalogFile.write(root, StorageIO.standard(), sample());
        assertThat(CatalogFile.read(root)).isEqualTo(sample());
        assertThat(root.resolve(CatalogDescriptor.FILE_NAME + ".tmp")).doesNotExist();
    }

    @Test
    void noFileReadsAsNone()
    {
        assertThat(CatalogFile.read(root)).isNull();
    }

    @Test
    void aFileCutShortAnywhereIsRefused() throws IOException
    {
        final byte[] whole = bytes(CatalogFile.encode(sample()));
        for (int length = 0; length < whole.length; length += 7)
        {
            Files.write(root.resolve(CatalogDescriptor.FILE_NAME), Arrays.copyOf(whole, length));
            assertThatThrownBy(() -> CatalogFile.read(root)).as("cut at %d", length)
                .isInstanceOf(CorruptFileException.class).hasMessageContaining(CatalogDescriptor.FILE_NAME);
        }
    }

    @Test
    void aFlippedBitAnywhereIsRefused() throws IOException
    {
        final byte[] whole = bytes(CatalogFile.encode(sample()));
        for (int i = 0; i < whole.length; i++)
        {
            final byte[] damaged = whole.clone();
            damaged[i] ^= 0x10;
            Files.write(root.resolve(CatalogDescriptor.FILE_NAME), damaged);
            assertThatThrownBy(() -> CatalogFile.read(root)).as("bit flipped in byte %d", i)
                .isInstanceOf(CorruptFileException.class);
        }
    }

    @Test
    void anotherVersionIsNamed() throws IOException
    {
        final ByteBuffer file = CatalogFile.encode(sample()).order(ByteOrder.LITTLE_ENDIAN);
        file.putInt(CatalogDescriptor.VERSION_OFFSET, CatalogDescriptor.VERSION + 1);
        CatalogDescriptor.putChecksum(file);
        Files.write(root.resolve(CatalogDescriptor.FILE_NAME), bytes(file));
        assertThatThrownBy(() -> CatalogFile.read(root)).isInstanceOf(CorruptFileException.class)
            .hasMessageContaining("unknown layout version");
    }

    private static byte[] bytes(final ByteBuffer buffer)
    {
        final byte[] bytes = new byte[buffer.limit()];
        buffer.duplicate().position(0).get(bytes);
        return bytes;
    }
}
