package io.ferrite.bench;

import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectHandle;
import io.ferrite.store.SyncMode;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Ferrite's zero-allocation append as an {@link AppendTarget}: the subject validated once into a {@link SubjectHandle},
 * the payload copied from an off-heap buffer, as a caller encoding into its own direct buffer would append. Same
 * store configuration as {@link FerriteAppender}.
 */
public final class FerriteBufferAppender implements AppendTarget
{
    private final StreamStore store;
    private final SubjectHandle subject;
    private final UnsafeBuffer payload;

    public FerriteBufferAppender(final Path directory, final byte[] payload)
    {
        this(directory, payload, StreamConfig.SYNC_MODE_DEFAULT);
    }

    public FerriteBufferAppender(final Path directory, final byte[] payload, final SyncMode syncMode)
    {
        this.store = FerriteAppender.openStore(directory, syncMode);
        this.subject = store.subject(FerriteAppender.SUBJECT);
        this.payload = new UnsafeBuffer(ByteBuffer.allocateDirect(payload.length));
        this.payload.putBytes(0, payload);
    }

    @Override
    public void append()
    {
        store.append(subject, null, 0, 0, payload, 0, payload.capacity());
    }

    @Override
    public void close()
    {
        store.close();
    }
}
