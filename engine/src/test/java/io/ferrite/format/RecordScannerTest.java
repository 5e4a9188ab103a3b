package io.ferrite.format;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static io.ferrite.format.RecordDescriptor.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RecordScanner} over records this test writes itself from {@link RecordDescriptor}'s layout: records in order
 * with their checksums; a damaged body costs exactly its record (skipped by its verified length); a damaged header
 * re-synchronises on the next aligned record that verifies whole and carries a higher sequence; nothing valid after
 * the damage is a torn tail; a record cut by the limit, zeros, the encrypted flag, and records that verify but break
 * the layout's rules.
 */
class RecordScannerTest
{
    private static final int START = BlockDescriptor.DATA_OFFSET;
    private static final int CAPACITY = 16 * 1024;

    private final ByteBuffer mapped = ByteBuffer.allocateDirect(CAPACITY);
    private final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
    private final List<Integer> offsets = new ArrayList<>();
    private final List<Integer> lengths = new ArrayList<>();
    private int writeOffset = START;
    private int limit = CAPACITY;
    /** What the last scan returned, and the checksums it reported. */
    private int end;
    private final List<Integer> checksums = new ArrayList<>();

    @Test
    void nothingWrittenEndsWhereTheScanStarts()
    {
        assertThat(scan(false)).isEmpty();
        assertThat(end).isEqualTo(START);
        assertThat(scan(true)).as("zeros to the end are no damage, probed or not").isEmpty();
        assertThat(end).isEqualTo(START);
    }

    @Test
    void oneRecordIsVisitedWithItsChecksum()
    {
        message(1, "orders.eu", 17);
        final List<String> events = scan(false);
        assertThat(events).containsExactly(record(0, TYPE_MESSAGE, 1));
        assertThat(end).isEqualTo(endOf(0));
        assertThat(checksums).containsExactly(buffer.getInt(endOf(0) - CHECKSUM_LENGTH));
    }

    @Test
    void messagesSkipsAndTombstonesInOffsetOrder()
    {
        message(1, "a", 0);
        skip(2);
        tombstone(2);
        message(3, "a.b.c", 100);
        tombstone(3);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1), record(1, TYPE_SKIP, 2),
            record(2, TYPE_DELETE, 2), record(3, TYPE_MESSAGE, 3), record(4, TYPE_DELETE, 3));
        assertThat(end).isEqualTo(endOf(4));
    }

    @Test
    void sequenceGapsAreNoDamage()
    {
        message(1, "a", 8);
        message(10, "a", 8);
        message(1_000_000, "a", 8);
        message(MAX_SEQUENCE, "a", 8);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1), record(1, TYPE_MESSAGE, 10),
            record(2, TYPE_MESSAGE, 1_000_000), record(3, TYPE_MESSAGE, MAX_SEQUENCE));
    }

    @Test
    void aRecordMustCarryASequenceAboveTheOneBeforeTheStart()
    {
        message(5, "a", 8);
        assertThat(scan(START, 5, false)).containsExactly(damage(START, lastNonZeroWordEnd(), 0, true));
        assertThat(end).isEqualTo(START);
        clear();
        tombstone(7);
        assertThat(scan(START, 7, false)).as("a tombstone stamps the last sequence, not one of its own")
            .containsExactly(record(0, TYPE_DELETE, 7));
    }

    @Test
    void scanningFromALaterRecordSeesOnlyWhatFollows()
    {
        message(1, "a", 8);
        message(2, "a", 8);
        message(3, "a", 8);
        assertThat(scan(offsets.get(1), 1, false)).containsExactly(record(1, TYPE_MESSAGE, 2),
            record(2, TYPE_MESSAGE, 3));
    }

    @Test
    void aDamagedBodyCostsOnlyItsRecord()
    {
        message(1, "a", 30);
        message(2, "a", 30);
        message(3, "a", 30);
        flip(offsets.get(1) + HEADER_LENGTH + 5);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1),
            damage(offsets.get(1), endOf(1), 2, false), record(2, TYPE_MESSAGE, 3));
        assertThat(end).isEqualTo(endOf(2));
    }

    @Test
    void aRecordChecksumThatDoesNotVerifyIsABodyDamage()
    {
        message(1, "a", 30);
        message(2, "a", 30);
        flip(endOf(0) - 1);
        assertThat(scan(false)).containsExactly(damage(START, endOf(0), 1, false), record(1, TYPE_MESSAGE, 2));
    }

    @Test
    void aDamagedLastBodyFollowedByZerosIsATornTailWithItsSequence()
    {
        message(1, "a", 30);
        message(2, "a", 30);
        flip(endOf(1) - CHECKSUM_LENGTH - 2);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1), damage(offsets.get(1), endOf(1), 2, true));
        assertThat(end).as("the valid end is before the torn record").isEqualTo(endOf(0));
    }

    @Test
    void aDamagedTombstoneNamesNoSequence()
    {
        message(1, "a", 8);
        tombstone(1);
        message(2, "a", 8);
        flip(offsets.get(1) + HEADER_LENGTH + TOMBSTONE_TO_OFFSET);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1),
            damage(offsets.get(1), endOf(1), 0, false), record(2, TYPE_MESSAGE, 2));
    }

    @Test
    void aDamagedHeaderResynchronisesOnTheNextRecord()
    {
        for (long seq = 1; seq <= 4; seq++)
        {
            message(seq, "a.b", 20);
        }
        flip(offsets.get(1) + SEQUENCE_OFFSET);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1),
            damage(offsets.get(1), offsets.get(2), 0, false), record(2, TYPE_MESSAGE, 3), record(3, TYPE_MESSAGE, 4));
        assertThat(end).isEqualTo(endOf(3));
    }

    @Test
    void aDamagedFrameLengthResynchronisesToo()
    {
        message(1, "a", 20);
        message(2, "a", 20);
        message(3, "a", 20);
        buffer.putInt(offsets.get(1) + FRAME_LENGTH_OFFSET, lengths.get(1) + 8);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1),
            damage(offsets.get(1), offsets.get(2), 0, false), record(2, TYPE_MESSAGE, 3));
    }

    @Test
    void aDamagedLastHeaderIsATornTailToTheLastNonZeroWord()
    {
        message(1, "a", 20);
        message(2, "a", 20);
        flip(offsets.get(1) + HEADER_CHECKSUM_OFFSET);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1),
            damage(offsets.get(1), lastNonZeroWordEnd(), 0, true));
        assertThat(end).isEqualTo(endOf(0));
    }

    @Test
    void resynchronisingSkipsAStaleRecordWithALowerSequence()
    {
        message(1, "a", 20);
        message(2, "a", 20);
        message(3, "a", 20);
        message(2, "b", 20);
        message(4, "a", 20);
        flip(offsets.get(2) + SEQUENCE_OFFSET);
        assertThat(scan(false)).as("a record from before, at sequence 2, is not where the data resumes")
            .containsExactly(record(0, TYPE_MESSAGE, 1), record(1, TYPE_MESSAGE, 2),
                damage(offsets.get(2), offsets.get(4), 0, false), record(4, TYPE_MESSAGE, 4));
    }

    @Test
    void resynchronisingNeedsAnIntactBody()
    {
        message(1, "a", 20);
        message(2, "a", 20);
        message(3, "a", 20);
        message(4, "a", 20);
        flip(offsets.get(1) + SEQUENCE_OFFSET);
        flip(offsets.get(2) + HEADER_LENGTH + 3);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1),
            damage(offsets.get(1), offsets.get(3), 0, false), record(3, TYPE_MESSAGE, 4));
    }

    @Test
    void aRecordCutByTheLimitIsATornTail()
    {
        message(1, "a", 20);
        message(2, "a", 20);
        message(3, "a", 200);
        limit = endOf(2) - 64;
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1), record(1, TYPE_MESSAGE, 2),
            damage(offsets.get(2), lastNonZeroWordEnd(), 0, true));
        assertThat(end).isEqualTo(endOf(1));
        limit = endOf(1);
        assertThat(scan(false)).as("a limit on a record boundary cuts nothing")
            .containsExactly(record(0, TYPE_MESSAGE, 1), record(1, TYPE_MESSAGE, 2));
        assertThat(end).isEqualTo(endOf(1));
    }

    @Test
    void aZeroedRecordEndsTheScanUnlessItProbes()
    {
        for (long seq = 1; seq <= 4; seq++)
        {
            message(seq, "a", 20);
        }
        buffer.setMemory(offsets.get(2), lengths.get(2), (byte)0);
        assertThat(scan(false)).as("appends are sequential: zeros are the end of the data")
            .containsExactly(record(0, TYPE_MESSAGE, 1), record(1, TYPE_MESSAGE, 2));
        assertThat(end).isEqualTo(endOf(1));
        assertThat(scan(true)).containsExactly(record(0, TYPE_MESSAGE, 1), record(1, TYPE_MESSAGE, 2),
            damage(offsets.get(2), offsets.get(3), 0, false), record(3, TYPE_MESSAGE, 4));
        assertThat(end).isEqualTo(endOf(3));
    }

    @Test
    void aZeroedFirstWordOfARecordIsTheEndWhateverFollowsInIt()
    {
        message(1, "a", 20);
        message(2, "a", 20);
        buffer.putLong(offsets.get(1), 0);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1));
        assertThat(scan(true)).as("probing finds nothing valid after it: nothing to report")
            .containsExactly(record(0, TYPE_MESSAGE, 1));
    }

    @Test
    void onlyRecordsFlaggedAsTheBlockIsAreValid()
    {
        message(1, "a", 20);
        assertThat(scan(START, 0, false, true)).as("plaintext in an encrypted block")
            .containsExactly(damage(START, lastNonZeroWordEnd(), 0, true));
        clear();
        sealedMessage(1, "a", 20);
        sealedMessage(2, "a", 0);
        assertThat(scan(START, 0, false, true)).containsExactly(record(0, TYPE_MESSAGE, 1),
            record(1, TYPE_MESSAGE, 2));
        assertThat(scan(false)).as("sealed in a plaintext block")
            .containsExactly(damage(START, lastNonZeroWordEnd(), 0, true));
    }

    @Test
    void aHeaderThatVerifiesButBreaksTheLayoutIsDamage()
    {
        message(1, "a", 20);
        message(2, "a", 20);
        message(3, "a", 20);
        message(4, "a", 20);
        // Each rewritten with valid checksums: lengths that do not add up, a type that does not exist, a sequence
        // above the ceiling.
        buffer.putInt(offsets.get(1) + PAYLOAD_LENGTH_OFFSET, 20 + ALIGNMENT);
        reseal(1);
        buffer.putByte(offsets.get(2) + TYPE_OFFSET, (byte)9);
        reseal(2);
        buffer.putLong(offsets.get(3) + SEQUENCE_OFFSET, MAX_SEQUENCE + 1);
        reseal(3);
        assertThat(scan(false)).containsExactly(record(0, TYPE_MESSAGE, 1),
            damage(offsets.get(1), lastNonZeroWordEnd(), 0, true));
    }

    @Test
    void seededSingleByteDamageCostsExactlyTheRecordItHits()
    {
        final SplittableRandom random = new SplittableRandom(0x5CA77E5L);
        for (int round = 0; round < 400; round++)
        {
            clear();
            final int count = 2 + random.nextInt(30);
            long seq = random.nextInt(1_000);
            final long[] seqs = new long[count];
            for (int i = 0; i < count; i++)
            {
                seq += 1 + (random.nextInt(8) == 0 ? random.nextInt(1 << 20) : 0);
                seqs[i] = seq;
                if (random.nextInt(6) == 0)
                {
                    skip(seq);
                }
                else
                {
                    message(seq, "s." + random.nextInt(100), random.nextInt(300));
                }
            }
            final int hit = random.nextInt(count);
            final int at = offsets.get(hit) + random.nextInt(lengths.get(hit));
            buffer.putByte(at, (byte)(buffer.getByte(at) ^ (1 + random.nextInt(255))));
            final boolean headerHit = at - offsets.get(hit) < HEADER_LENGTH;
            final boolean last = hit == count - 1;

            final List<String> expected = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                if (i != hit)
                {
                    expected.add(record(i, buffer.getByte(offsets.get(i) + TYPE_OFFSET), seqs[i]));
                    continue;
                }
                if (headerHit)
                {
                    expected.add(last ? damage(offsets.get(i), lastNonZeroWordEnd(), 0, true) :
                        damage(offsets.get(i), offsets.get(i + 1), 0, false));
                }
                else
                {
                    expected.add(damage(offsets.get(i), endOf(i), seqs[i], last));
                }
            }
            assertThat(scan(false)).as("round %d: byte %d of record %d of %d", round, at - offsets.get(hit), hit,
                count).containsExactlyElementsOf(expected);
            assertThat(end).isEqualTo(last ? offsets.get(hit) : endOf(count - 1));
        }
    }

    // ---- the scan and what it reported

    private List<String> scan(final boolean probeZeroTail)
    {
        return scan(START, 0, probeZeroTail, false);
    }

    private List<String> scan(final int start, final long afterSeq, final boolean probeZeroTail)
    {
        return scan(start, afterSeq, probeZeroTail, false);
    }

    private List<String> scan(
        final int start, final long afterSeq, final boolean probeZeroTail, final boolean encrypted)
    {
        final List<String> events = new ArrayList<>();
        checksums.clear();
        end = new RecordScanner().wrap(buffer, mapped, limit, encrypted).scan(start, afterSeq, probeZeroTail,
            new RecordScanner.Visitor()
            {
                @Override
                public void onRecord(
                    final UnsafeBuffer records, final int offset, final int frameLength, final byte type,
                    final long seq, final int checksum)
                {
                    events.add("record@" + offset + "+" + frameLength + " type " + type + " seq " + seq);
                    checksums.add(checksum);
                    assertThat(checksum).isEqualTo(records.getInt(offset + frameLength - CHECKSUM_LENGTH));
                }

                @Override
                public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
                {
                    events.add(damage(fromOffset, toOffset, knownSeq, tail));
                }
            });
        return events;
    }

    private String record(final int index, final byte type, final long seq)
    {
        return "record@" + offsets.get(index) + "+" + lengths.get(index) + " type " + type + " seq " + seq;
    }

    private static String damage(final int from, final int to, final long knownSeq, final boolean tail)
    {
        return "damage[" + from + ", " + to + ") seq " + knownSeq + (tail ? " tail" : "");
    }

    private int endOf(final int index)
    {
        return offsets.get(index) + lengths.get(index);
    }

    private int lastNonZeroWordEnd()
    {
        int extent = 0;
        for (int offset = 0; offset + ALIGNMENT <= limit; offset += ALIGNMENT)
        {
            extent = buffer.getLong(offset) != 0 ? offset + ALIGNMENT : extent;
        }
        return extent;
    }

    // ---- records written from the layout, independently of the engine's writer

    private void clear()
    {
        buffer.setMemory(0, CAPACITY, (byte)0);
        writeOffset = START;
        offsets.clear();
        lengths.clear();
        limit = CAPACITY;
    }

    private void message(final long seq, final String subject, final int payloadLength)
    {
        final byte[] payload = new byte[payloadLength];
        for (int i = 0; i < payloadLength; i++)
        {
            payload[i] = (byte)(seq * 31 + i);
        }
        write(TYPE_MESSAGE, false, seq, subject.getBytes(StandardCharsets.US_ASCII), payload, payloadLength);
    }

    /**
     * A record flagged as sealed: its body is as long as a sealed one, the scanner does not open it.
     */
    private void sealedMessage(final long seq, final String subject, final int payloadLength)
    {
        final byte[] body = new byte[payloadLength + SealedBodyDescriptor.OVERHEAD];
        new SplittableRandom(seq).nextBytes(body);
        write(TYPE_MESSAGE, true, seq, subject.getBytes(StandardCharsets.US_ASCII), body, payloadLength);
    }

    private void skip(final long seq)
    {
        write(TYPE_SKIP, false, seq, new byte[0], new byte[0], 0);
    }

    private void tombstone(final long lastSeq)
    {
        final UnsafeBuffer body = new UnsafeBuffer(new byte[TOMBSTONE_LENGTH]);
        body.putLong(TOMBSTONE_FROM_OFFSET, Math.max(1, lastSeq - 1));
        body.putLong(TOMBSTONE_TO_OFFSET, lastSeq);
        write(TYPE_DELETE, false, lastSeq, new byte[0], body.byteArray(), TOMBSTONE_LENGTH);
    }

    private void write(
        final byte type, final boolean sealed, final long seq, final byte[] subject, final byte[] body,
        final int payloadLength)
    {
        final int offset = writeOffset;
        final int frameLength = (int)frameLengthForContent((long)subject.length + payloadLength, sealed);
        buffer.putInt(offset + FRAME_LENGTH_OFFSET, frameLength);
        buffer.putByte(offset + TYPE_OFFSET, type);
        buffer.putByte(offset + FLAGS_OFFSET, sealed ? FLAG_ENCRYPTED : 0);
        buffer.putShort(offset + SUBJECT_LENGTH_OFFSET, (short)subject.length);
        buffer.putLong(offset + SEQUENCE_OFFSET, seq);
        buffer.putLong(offset + TIMESTAMP_OFFSET, 1_700_000_000_000_000_000L + seq);
        buffer.putInt(offset + HEADERS_LENGTH_OFFSET, 0);
        buffer.putInt(offset + PAYLOAD_LENGTH_OFFSET, payloadLength);
        buffer.putBytes(offset + HEADER_LENGTH, subject);
        buffer.putBytes(offset + HEADER_LENGTH + subject.length, body);
        offsets.add(offset);
        lengths.add(frameLength);
        reseal(offsets.size() - 1);
        writeOffset = offset + frameLength;
    }

    /**
     * Compute both checksums of a record again, over whatever it holds now.
     */
    private void reseal(final int index)
    {
        final int offset = offsets.get(index);
        final int frameLength = lengths.get(index);
        buffer.putInt(offset + HEADER_CHECKSUM_OFFSET, crc(offset, HEADER_CHECKSUM_OFFSET));
        buffer.putInt(offset + frameLength - CHECKSUM_LENGTH, crc(offset, frameLength - CHECKSUM_LENGTH));
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
