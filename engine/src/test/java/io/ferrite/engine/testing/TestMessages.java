package io.ferrite.engine.testing;

import io.ferrite.store.MessageView;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamStore;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Messages whose subject, headers and payload are a pure function of their sequence, so a process that did not write
 * them (a test parent, a reader thread) can check every byte it gets back.
 */
public final class TestMessages
{
    private static final byte[] NONE = new byte[0];

    private final int maxPayload;

    /**
     * @param maxPayload the largest payload generated; lengths run from 0 to this.
     */
    public TestMessages(final int maxPayload)
    {
        this.maxPayload = maxPayload;
    }

    public String subject(final long seq)
    {
        return "orders." + (seq % 5) + (seq % 3 == 0 ? ".new" : ".fill");
    }

    public byte[] headers(final long seq)
    {
        if (seq % 4 == 0)
        {
            return NONE;
        }
        return ("h" + seq).getBytes(StandardCharsets.US_ASCII);
    }

    public byte[] payload(final long seq)
    {
        final SplittableRandom random = new SplittableRandom(seq * 0x9E3779B97F4A7C15L);
        final int length = seq % 97 == 0 ? 0 : random.nextInt(maxPayload + 1);
        final byte[] payload = new byte[length];
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)random.nextInt(256);
        }
        return payload;
    }

    /**
     * Append the message for the next sequence, checking the store assigned the sequence it was derived for.
     */
    public long appendNext(final StreamStore store)
    {
        final long seq = store.state().lastSeq() + 1;
        final long assigned = store.append(subject(seq), headers(seq), payload(seq));
        if (assigned != seq)
        {
            throw new AssertionError("store assigned " + assigned + " where " + seq + " was expected");
        }
        return seq;
    }

    /**
     * @return null when {@code message} is exactly the message derived for {@code seq}, else what differs.
     */
    public String mismatch(final StoredMessage message, final long seq)
    {
        if (null == message)
        {
            return "seq " + seq + " is missing";
        }
        if (message.seq() != seq)
        {
            return "asked for seq " + seq + " but got seq " + message.seq();
        }
        if (!message.subject().equals(subject(seq)))
        {
            return "seq " + seq + " subject '" + message.subject() + "' != '" + subject(seq) + "'";
        }
        if (!Arrays.equals(message.headers(), headers(seq)))
        {
            return "seq " + seq + " headers differ";
        }
        if (!Arrays.equals(message.payload(), payload(seq)))
        {
            return "seq " + seq + " payload differs (" + message.payload().length + " bytes, expected " +
                payload(seq).length + ")";
        }
        return null;
    }

    /**
     * @return null when the zero-copy view shows exactly the message derived for {@code seq}, else what differs.
     */
    public String mismatch(final MessageView view, final long seq)
    {
        if (view.seq() != seq)
        {
            return "read of seq " + seq + " handed seq " + view.seq();
        }
        if (!view.subject().equals(subject(seq)))
        {
            return "read of seq " + seq + " handed subject " + view.subject();
        }
        final byte[] expectedHeaders = headers(seq);
        final byte[] expectedPayload = payload(seq);
        if (view.headersLength() != expectedHeaders.length || view.payloadLength() != expectedPayload.length)
        {
            return "read of seq " + seq + " handed lengths " + view.headersLength() + "/" + view.payloadLength();
        }
        for (int i = 0; i < expectedPayload.length; i++)
        {
            if (view.buffer().getByte(view.payloadOffset() + i) != expectedPayload[i])
            {
                return "read of seq " + seq + " payload differs at " + i;
            }
        }
        for (int i = 0; i < expectedHeaders.length; i++)
        {
            if (view.buffer().getByte(view.headersOffset() + i) != expectedHeaders[i])
            {
                return "read of seq " + seq + " headers differ at " + i;
            }
        }
        return null;
    }
}
