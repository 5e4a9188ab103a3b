package io.ferrite.format;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static io.ferrite.format.RecordDescriptor.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BlockScan} over records this test writes from {@link RecordDescriptor}'s layout: what one walk finds (counts,
 * the valid and the written ends, damage), what a caller's {@link BlockScan#reject} changes, and that
 * {@link BlockScan#begin} alone forgets the block before.
 */
class BlockScanTest
{
    private static final int START = BlockDescriptor.DATA_OFFSET;
    private static final int CAPACITY = 16 * 1024;
    private static final Path FILE = Path.of("blocks", "00000000000000000001.blk");
    private static final RecordScanner.Visitor NOTHING = new RecordScanner.Visitor()
    {
        @Override
        public void onRecord(
            final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type, final long seq,
            final int checksum)
        {
        }

        @Override
        public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
        {
        }
    };

    private final ByteBuffer mapped = ByteBuffer.allocateDirect(CAPACITY);
    private final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
    private final List<Integer> offsets = new ArrayList<>();
    private final List<Integer> lengths = new ArrayList<>();
    private final BlockScan scan = new BlockScan();
    private int writeOffset = START;

    @Test
    void countsEachTypeAndEndsWhereTheLastRecordDoes()
    {
        message(1);
        skip(2);
        message(3);
        tombstone(3);
        final List<Long> progress = new ArrayList<>();
        final int end = scan.begin(FILE, START, true, progress::add).wrap(buffer, mapped, CAPACITY, false)
            .expectTail(endOf(3), checksumOf(3)).scan(0, false, NOTHING);

        assertThat(end).isEqualTo(endOf(3));
        assertThat(scan.messages()).isEqualTo(2);
        assertThat(scan.skips()).isEqualTo(1);
        assertThat(scan.tombstones()).isEqualTo(1);
        assertThat(scan.firstSeq()).isEqualTo(1);
        assertThat(scan.lastSeq()).as("a tombstone's header sequence is no sequence of the block").isEqualTo(3);
        assertThat(scan.validEnd()).isEqualTo(endOf(3));
        assertThat(scan.writtenEnd()).isEqualTo(endOf(3));
        assertThat(scan.writtenLastChecksum()).isEqualTo(checksumOf(3));
        assertThat(scan.writtenLastSeq()).isEqualTo(3);
        assertThat(scan.writtenMessages()).isEqualTo(2);
        assertThat(scan.expectedTailFound()).isTrue();
        assertThat(scan.damageEnd()).isZero();
        assertThat(progress).containsExactly((long)endOf(0), (long)endOf(1), (long)endOf(2), (long)endOf(3));
    }

    @Test
    void aMessageWithADamagedBodyIsWrittenButNotValid()
    {
        message(1);
        message(2);
        message(3);
        flip(offsets.get(2) + HEADER_LENGTH);
        scan.begin(FILE, START, true, BlockScan.NO_PROGRESS).wrap(buffer, mapped, CAPACITY, false)
            .expectTail(endOf(2), checksumOf(2)).scan(0, false, NOTHING);

        assertThat(scan.messages()).isEqualTo(2);
        assertThat(scan.validEnd()).isEqualTo(endOf(1));
        assertThat(scan.writtenEnd()).as("its header verified: the engine wrote it").isEqualTo(endOf(2));
        assertThat(scan.writtenMessages()).isEqualTo(3);
        assertThat(scan.writtenLastSeq()).isEqualTo(3);
        assertThat(scan.expectedTailFound()).isTrue();
        assertThat(scan.damageEnd()).isEqualTo(endOf(2));
        assertThat(scan.damagedRecordEnd()).isEqualTo(endOf(2));
        assertThat(scan.damagedRecordSeq()).isEqualTo(3);
    }

    @Test
    void aTombstoneWithADamagedBodyIsWrittenWithoutASequence()
    {
        message(1);
        tombstone(1);
        flip(offsets.get(1) + HEADER_LENGTH);
        scan.begin(FILE, START, true, BlockScan.NO_PROGRESS).wrap(buffer, mapped, CAPACITY, false)
            .scan(0, false, NOTHING);

        assertThat(scan.isTombstoneHeader(offsets.get(1), endOf(1))).isTrue();
        assertThat(scan.isTombstoneHeader(offsets.get(0), endOf(0))).as("a message").isFalse();
        assertThat(scan.tombstones()).isZero();
        assertThat(scan.writtenEnd()).isEqualTo(endOf(1));
        assertThat(scan.writtenLastSeq()).isEqualTo(1);
        assertThat(scan.damageEnd()).isEqualTo(endOf(1));
        assertThat(scan.damagedRecordSeq()).isZero();
    }

    @Test
    void aRejectedRecordCountsAsDamageNotAsItsType()
    {
        message(1);
        message(2);
        tombstone(2);
        scan.begin(FILE, START, true, BlockScan.NO_PROGRESS).wrap(buffer, mapped, CAPACITY, false)
            .scan(0, false, new RecordScanner.Visitor()
            {
                @Override
                public void onRecord(
                    final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type,
                    final long seq, final int checksum)
                {
                    if (seq == 2 && type == TYPE_MESSAGE)
                    {
                        scan.reject(offset, offset + frameLength, seq);
                    }
                    else if (type == TYPE_DELETE)
                    {
                        scan.reject(offset, offset + frameLength, 0);
                    }
                    else
                    {
                        scan.authenticated();
                    }
                }

                @Override
                public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
                {
                }
            });

        assertThat(scan.messages()).isEqualTo(1);
        assertThat(scan.tombstones()).isZero();
        assertThat(scan.authenticatedCount()).isEqualTo(1);
        assertThat(scan.writtenMessages()).as("written all the same").isEqualTo(2);
        assertThat(scan.damageEnd()).isEqualTo(endOf(2));
        assertThat(scan.damagedRecordEnd()).as("the latest with a known sequence").isEqualTo(endOf(1));
        assertThat(scan.damagedRecordSeq()).isEqualTo(2);
    }

    @Test
    void beginForgetsTheBlockBefore()
    {
        message(1);
        message(2);
        flip(offsets.get(1) + HEADER_LENGTH);
        scan.begin(FILE, START, true, BlockScan.NO_PROGRESS).wrap(buffer, mapped, CAPACITY, false)
            .expectTail(endOf(1), checksumOf(1)).scan(0, false, NOTHING);
        scan.authenticated();
        assertThat(scan.damageEnd()).isPositive();

        final Path other = Path.of("blocks", "00000000000000000002.blk");
        scan.begin(other, START + ALIGNMENT, false, BlockScan.NO_PROGRESS);

        assertThat(scan.file()).isEqualTo(other);
        assertThat(scan.replayFrom()).isEqualTo(START + ALIGNMENT);
        assertThat(scan.isLast()).isFalse();
        assertThat(scan.buffer()).as("the mapping is let go until wrap()").isNull();
        assertThat(List.of(scan.messages(), scan.skips(), scan.tombstones(), scan.authenticatedCount(),
            scan.firstSeq(), scan.lastSeq(), scan.writtenLastSeq(), scan.writtenMessages(), scan.damagedRecordSeq()))
            .containsOnly(0L);
        assertThat(List.of(scan.writtenLastChecksum(), scan.damageEnd(), scan.damagedRecordEnd())).containsOnly(0);
        assertThat(scan.validEnd()).isEqualTo(START);
        assertThat(scan.writtenEnd()).isEqualTo(START);
        assertThat(scan.expectedTailFound()).isFalse();
    }

    // ---- records written from the layout, independently of the engine's writer

    private void message(final long seq)
    {
        final byte[] payload = new byte[24];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)(seq * 31 + i);
        }
        write(TYPE_MESSAGE, seq, "o.a".getBytes(StandardCharsets.US_ASCII), payload);
    }

    private void skip(final long seq)
    {
        write(TYPE_SKIP, seq, new byte[0], new byte[0]);
    }

    private void tombstone(final long lastSeq)
    {
        final UnsafeBuffer body = new UnsafeBuffer(new byte[TOMBSTONE_LENGTH]);
        body.putLong(TOMBSTONE_FROM_OFFSET, lastSeq);
        body.putLong(TOMBSTONE_TO_OFFSET, lastSeq);
        write(TYPE_DELETE, lastSeq, new byte[0], body.byteArray());
    }

    private void write(final byte type, final long seq, final byte[] subject, final byte[] body)
    {
        final int offset = writeOffset;
        final int frameLength = frameLength(subject.length, 0, body.length);
        buffer.putInt(offset + FRAME_LENGTH_OFFSET, frameLength);
        buffer.putByte(offset + TYPE_OFFSET, type);
        buffer.putShort(offset + SUBJECT_LENGTH_OFFSET, (short)subject.length);
        buffer.putLong(offset + SEQUENCE_OFFSET, seq);
        buffer.putLong(offset + TIMESTAMP_OFFSET, 1_700_000_000_000_000_000L + seq);
        buffer.putInt(offset + PAYLOAD_LENGTH_OFFSET, body.length);
        buffer.putBytes(offset + HEADER_LENGTH, subject);
        buffer.putBytes(offset + HEADER_LENGTH + subject.length, body);
        buffer.putInt(offset + HEADER_CHECKSUM_OFFSET, crc(offset, HEADER_CHECKSUM_OFFSET));
        buffer.putInt(offset + frameLength - CHECKSUM_LENGTH, crc(offset, frameLength - CHECKSUM_LENGTH));
        offsets.add(offset);
        lengths.add(frameLength);
        writeOffset = offset + frameLength;
    }

    private int endOf(final int index)
    {
        return offsets.get(index) + lengths.get(index);
    }

    private int checksumOf(final int index)
    {
        return buffer.getInt(endOf(index) - CHECKSUM_LENGTH);
    }

    private int crc(final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int)crc.getValue();
    }

    private void flip(final int offset)
    {
        buffer.putByte(offset, (byte)(buffer.getByte(offset) ^ 0x40));
    }
}
