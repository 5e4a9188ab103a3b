package io.ferrite.replication;

import io.ferrite.store.Discard;
import io.ferrite.store.StreamLimits;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Snapshot headers: version 2 carries the message id section's length; a version 1 header (written before message
 * ids, offset 84 zero) still reads; an unknown version or a negative length is refused naming the file.
 */
class ReplicationSnapshotDescriptorTest
{
    private static final StreamLimits NONE = new StreamLimits(
        StreamLimits.UNLIMITED, StreamLimits.UNLIMITED, Duration.ZERO, StreamLimits.UNLIMITED, Discard.OLD);

    @Test
    void versionTwoCarriesTheSectionLengthAndVersionOneStillReads()
    {
        final ByteBuffer header = ReplicationSnapshotDescriptor.encode(3, 42, 17, 1_000, NONE, 24);
        ReplicationSnapshotDescriptor.verify(header, "snap");
        assertThat(header.getInt(ReplicationSnapshotDescriptor.VERSION_OFFSET)).isEqualTo(2);
        assertThat(header.getInt(ReplicationSnapshotDescriptor.MESSAGE_ID_SECTION_LENGTH_OFFSET)).isEqualTo(24);

        final ByteBuffer versionOne = ReplicationSnapshotDescriptor.encode(3, 42, 17, 1_000, NONE, 0);
        versionOne.putInt(ReplicationSnapshotDescriptor.VERSION_OFFSET, 1);
        reseal(versionOne);
        assertThatNoException().isThrownBy(() -> ReplicationSnapshotDescriptor.verify(versionOne, "old"));
    }

    @Test
    void anUnknownVersionOrANegativeSectionLengthIsRefusedNamingTheFile()
    {
        final ByteBuffer future = ReplicationSnapshotDescriptor.encode(3, 42, 17, 1_000, NONE, 0);
        future.putInt(ReplicationSnapshotDescriptor.VERSION_OFFSET, 3);
        reseal(future);
        assertThatThrownBy(() -> ReplicationSnapshotDescriptor.verify(future, "/sm/snapshot.3_42"))
            .hasMessageContaining("version 3").hasMessageContaining("/sm/snapshot.3_42");

        final ByteBuffer negative = ReplicationSnapshotDescriptor.encode(3, 42, 17, 1_000, NONE, -4);
        assertThatThrownBy(() -> ReplicationSnapshotDescriptor.verify(negative, "/sm/snapshot.3_42"))
            .hasMessageContaining("negative").hasMessageContaining("/sm/snapshot.3_42");
    }

    private static void reseal(final ByteBuffer header)
    {
        final CRC32C crc = new CRC32C();
        crc.update(header.duplicate().position(0).limit(ReplicationSnapshotDescriptor.CHECKSUM_OFFSET));
        header.putInt(ReplicationSnapshotDescriptor.CHECKSUM_OFFSET, (int)crc.getValue());
    }
}
