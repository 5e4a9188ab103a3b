package io.ferrite.tools;

import io.ferrite.crypto.BlockKey;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.RecordScanner;
import io.ferrite.store.CorruptRecordException;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads every tombstone of a stream from its block files, so {@code dump} can say which tombstone removed a sequence
 * the store no longer returns — the store's API answers "absent" for skipped, removed and damaged sequences alike.
 * <p>
 * Walks each block with the engine's {@link RecordScanner} over a read-only mapping (never past the file's end, and
 * unmapped block by block). In an encrypted stream each tombstone is authenticated and opened with the engine's
 * {@link RecordCipher}. Anything that does not verify or authenticate is passed over: finding damage is
 * {@code verify}'s job; this reader only explains gaps.
 * <p>
 * Costs a scan of every block: done once, and only when {@code dump} meets a gap. Not thread-safe.
 */
final class TombstoneReader implements RecordScanner.Visitor
{
    private final RecordScanner scanner = new RecordScanner();
    private final StreamFolder folder;
    /** Null for a plaintext stream. */
    private final StreamKey key;
    private final RecordCipher cipher;
    private final List<Tombstone> tombstones = new ArrayList<>();

    private Path file;
    private MappedByteBuffer mapped;
    private BlockKey blockKey;

    /**
     * @param key the unlocked stream when it is encrypted, else null.
     */
    TombstoneReader(final StreamFolder folder, final StreamKey key)
    {
        this.folder = folder;
        this.key = key;
        this.cipher = null == key ? null : new RecordCipher();
    }

    /**
     * @return the stream's tombstones, in the order they were written.
     */
    List<Tombstone> read() throws IOException
    {
        tombstones.clear();
        for (final long id : folder.blockIds())
        {
            readBlock(folder.blockFile(id), id);
        }
        return List.copyOf(tombstones);
    }

    private void readBlock(final Path file, final long id) throws IOException
    {
        this.file = file;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size < BlockDescriptor.HEADER_LENGTH)
            {
                return;
            }
            final ByteBuffer headerBytes = ByteBuffer.allocate(BlockDescriptor.HEADER_LENGTH)
                .order(ByteOrder.LITTLE_ENDIAN);
            while (headerBytes.hasRemaining())
            {
                if (channel.read(headerBytes, headerBytes.position()) < 0)
                {
                    return;
                }
            }
            final BlockHeaderReport header = BlockHeaderReport.of(headerBytes, id);
            if (!header.trusted() || header.encrypted() != folder.encrypted())
            {
                return;
            }
            blockKey = null == key ? null : key.blockKey(header.salt());
            if (null != blockKey && blockKey.keyId() != header.keyId())
            {
                return;
            }
            final long mappable = Math.min(size, header.declaredLength());
            final long recordLimit = folder.encrypted() && header.footerOffset() > 0 ?
                Math.min(mappable, header.footerOffset()) : mappable;
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, mappable);
            try
            {
                mapped.order(ByteOrder.LITTLE_ENDIAN);
                scanner.wrap(new UnsafeBuffer(mapped), mapped, (int)recordLimit, folder.encrypted())
                    .scan(BlockDescriptor.DATA_OFFSET, header.baseSeq() - 1, false, this);
            }
            finally
            {
                if (null != cipher)
                {
                    cipher.release();
                }
                IoUtil.unmap(mapped);
                mapped = null;
            }
        }
    }

    @Override
    public void onRecord(
        final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type, final long seq,
        final int checksum)
    {
        if (type != RecordDescriptor.TYPE_DELETE)
        {
            return;
        }
        if (!folder.encrypted())
        {
            add(Tombstone.read(buffer, offset, file, offset));
            return;
        }
        if (null == blockKey)
        {
            return;
        }
        try
        {
            final DirectBuffer plain = cipher.open(blockKey, mapped, buffer, offset, seq, file);
            add(Tombstone.read(plain, 0, file, offset));
        }
        catch (final CorruptRecordException ex)
        {
            // Does not authenticate: verify reports it; it explains nothing here.
        }
    }

    private void add(final Tombstone tombstone)
    {
        if (null != tombstone)
        {
            tombstones.add(tombstone);
        }
    }

    @Override
    public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
    {
        // verify's business.
    }
}
