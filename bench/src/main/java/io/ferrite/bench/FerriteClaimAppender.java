package io.ferrite.bench;

import io.ferrite.store.MessageClaim;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectHandle;
import io.ferrite.store.SyncMode;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Ferrite's claim as an {@link AppendTarget}: claim the record's space, encode the payload into it (a copy from an
 * off-heap buffer stands in for the caller's encoder, the same bytes {@link FerriteBufferAppender} copies), commit.
 * One {@link MessageClaim} reused for every append. Same store configuration as {@link FerriteAppender}.
 */
public final class FerriteClaimAppender implements AppendTarget
{
    private final StreamStore store;
    private final SubjectHandle subject;
    private final UnsafeBuffer payload;
    private final MessageClaim claim = new MessageClaim();

    public FerriteClaimAppender(final Path directory, final byte[] payload)
    {
        this(directory, payload, StreamConfig.SYNC_MODE_DEFAULT);
    }

    public FerriteClaimAppender(final Path directory, final byte[] payload, final SyncMode syncMode)
    {
        this.store = FerriteAppender.openStore(directory, syncMode);
        this.subject = store.subject(FerriteAppender.SUBJECT);
        this.payload = new UnsafeBuffer(ByteBuffer.allocateDirect(payload.length));
        this.payload.putBytes(0, payload);
    }

    @Override
    public void append()
    {
        final int length = payload.capacity();
        store.tryClaim(subject, 0, length, claim);
        claim.buffer().putBytes(claim.payloadOffset(), payload, 0, length);
        claim.commit();
    }

    @Override
    public void close()
    {
        store.close();
    }
}
