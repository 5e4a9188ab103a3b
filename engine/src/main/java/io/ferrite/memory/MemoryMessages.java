package io.ferrite.memory;

import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.MessageView;
import io.ferrite.store.SubjectRules;
import io.ferrite.store.SubjectState;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The messages of a memory stream and what queries need of them: each message is one heap record in the layout of
 * {@link RecordDescriptor} (so a {@link MessageView} reads it as it reads a mapped one), kept by sequence, with the
 * sequences of each subject and the stream's totals.
 * <p>
 * Memory per message: the record (40 bytes of header, the subject, headers and payload, aligned to 8), its array and
 * buffer objects, a sorted-map entry and a subject-set entry: about 200 bytes beyond the record.
 * <p>
 * Threading: not thread-safe; {@link MemoryStreamStore} guards it.
 */
final class MemoryMessages
{
    private final TreeMap<Long, UnsafeBuffer> records = new TreeMap<>();
    private final Map<String, TreeSet<Long>> bySubject = new HashMap<>();
    private long lastSeq;
    private long lastTime;
    private long bytes;

    /**
     * Store a message at {@code seq}, above the last sequence, which it becomes.
     *
     * @return the subject's sequences, after adding it.
     */
    TreeSet<Long> add(
        final long seq, final long timestamp, final String subject, final byte[] headers, final byte[] payload)
    {
        final byte[] ascii = subject.getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer record = newRecord(seq, timestamp, ascii, headers.length, payload.length);
        record.putBytes(RecordDescriptor.headersOffset(0, ascii.length), headers);
        record.putBytes(RecordDescriptor.payloadOffset(0, ascii.length, headers.length), payload);
        return insert(record, subject);
    }

    /**
     * A record laid out for a message of {@code ascii} with room for its headers and payload, which the caller copies
     * or encodes in before {@link #insert}ing it.
     */
    static UnsafeBuffer newRecord(
        final long seq, final long timestamp, final byte[] ascii, final int headersLength, final int payloadLength)
    {
        final int frameLength = RecordDescriptor.frameLength(ascii.length, headersLength, payloadLength);
        final UnsafeBuffer record = new UnsafeBuffer(new byte[frameLength]);
        record.putInt(RecordDescriptor.FRAME_LENGTH_OFFSET, frameLength);
        record.putByte(RecordDescriptor.TYPE_OFFSET, RecordDescriptor.TYPE_MESSAGE);
        record.putShort(RecordDescriptor.SUBJECT_LENGTH_OFFSET, (short)ascii.length);
        record.putLong(RecordDescriptor.SEQUENCE_OFFSET, seq);
        record.putLong(RecordDescriptor.TIMESTAMP_OFFSET, timestamp);
        record.putInt(RecordDescriptor.HEADERS_LENGTH_OFFSET, headersLength);
        record.putInt(RecordDescriptor.PAYLOAD_LENGTH_OFFSET, payloadLength);
        record.putBytes(RecordDescriptor.subjectOffset(0), ascii);
        return record;
    }

    /**
     * Store a record made by {@link #newRecord}, filled in, under {@code subject}: its sequence, above the last one,
     * becomes the last.
     *
     * @return the subject's sequences, after adding it.
     */
    TreeSet<Long> insert(final UnsafeBuffer record, final String subject)
    {
        final long seq = record.getLong(RecordDescriptor.SEQUENCE_OFFSET);
        records.put(seq, record);
        final TreeSet<Long> seqs = bySubject.computeIfAbsent(subject, (s) -> new TreeSet<>());
        seqs.add(seq);
        bytes += messageBytes(record);
        lastSeq = seq;
        lastTime = Math.max(lastTime, timestamp(record));
        return seqs;
    }

    /**
     * Remove the message at {@code seq}.
     *
     * @param erase overwrite its bytes with zeros too.
     * @return whether one was stored there.
     */
    boolean remove(final long seq, final boolean erase)
    {
        final UnsafeBuffer record = records.remove(seq);
        if (null == record)
        {
            return false;
        }
        final String subject = subject(record);
        final TreeSet<Long> seqs = bySubject.get(subject);
        seqs.remove(seq);
        if (seqs.isEmpty())
        {
            bySubject.remove(subject);
        }
        bytes -= messageBytes(record);
        if (erase)
        {
            record.setMemory(0, record.capacity(), (byte)0);
        }
        return true;
    }

    /**
     * Reserve every sequence up to {@code seq}, above the last one, without a message.
     */
    void skipTo(final long seq)
    {
        lastSeq = seq;
    }

    /**
     * Make {@code seq} the last sequence (truncate), every message above it removed by the caller.
     */
    void lastSeq(final long seq)
    {
        lastSeq = seq;
    }

    /**
     * Remove every message.
     *
     * @return how many.
     */
    long clear()
    {
        final long removed = records.size();
        records.clear();
        bySubject.clear();
        bytes = 0;
        return removed;
    }

    UnsafeBuffer record(final long seq)
    {
        return records.get(seq);
    }

    /**
     * @return the stored records from {@code fromSeq} on, in sequence order (a live view: do not modify).
     */
    NavigableMap<Long, UnsafeBuffer> from(final long fromSeq)
    {
        return records.tailMap(fromSeq, true);
    }

    /**
     * @return the stored records up to {@code seq}, newest first (a live view: do not modify).
     */
    NavigableMap<Long, UnsafeBuffer> backFrom(final long seq)
    {
        return records.headMap(seq, true).descendingMap();
    }

    /**
     * @return the sequences of {@code subject}, or null when it holds no message (a live view: do not modify).
     */
    TreeSet<Long> subjectSeqs(final String subject)
    {
        return bySubject.get(subject);
    }

    /**
     * @return the subjects holding messages, with their sequences (a copy of the keys: safe to remove while walking).
     */
    List<String> subjectNames()
    {
        return new ArrayList<>(bySubject.keySet());
    }

    Map<String, SubjectState> subjects(final String filter)
    {
        final Map<String, SubjectState> states = new TreeMap<>();
        bySubject.forEach((subject, seqs) ->
        {
            if (SubjectRules.matches(filter, subject))
            {
                states.put(subject, new SubjectState(seqs.size(), seqs.first(), seqs.last()));
            }
        });
        return states;
    }

    int numSubjects()
    {
        return bySubject.size();
    }

    long msgs()
    {
        return records.size();
    }

    long bytes()
    {
        return bytes;
    }

    long lastSeq()
    {
        return lastSeq;
    }

    /**
     * @return the first sequence holding a message, or {@code lastSeq + 1} when none does.
     */
    long firstSeq()
    {
        return records.isEmpty() ? lastSeq + 1 : records.firstKey();
    }

    /**
     * @return the first message's timestamp, 0 when there is none.
     */
    long firstTime()
    {
        return records.isEmpty() ? 0 : timestamp(records.firstEntry().getValue());
    }

    /**
     * @return the latest timestamp appended: appends never go below it.
     */
    long lastTime()
    {
        return lastTime;
    }

    static long timestamp(final UnsafeBuffer record)
    {
        return record.getLong(RecordDescriptor.TIMESTAMP_OFFSET);
    }

    static int subjectLength(final UnsafeBuffer record)
    {
        return record.getShort(RecordDescriptor.SUBJECT_LENGTH_OFFSET) & 0xFFFF;
    }

    /** Allocates a String. */
    static String subject(final UnsafeBuffer record)
    {
        return record.getStringWithoutLengthAscii(RecordDescriptor.subjectOffset(0), subjectLength(record));
    }

    /**
     * @return subject, headers and payload bytes: what {@code maxBytes} and {@code state().bytes()} count.
     */
    static long messageBytes(final UnsafeBuffer record)
    {
        return subjectLength(record) + (long)record.getInt(RecordDescriptor.HEADERS_LENGTH_OFFSET) +
            record.getInt(RecordDescriptor.PAYLOAD_LENGTH_OFFSET);
    }
}
