package io.ferrite.engine.recovery;

import io.ferrite.crypto.AuthenticationFailedException;
import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.StoreException;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A scanned encrypted block's footer must authenticate and agree with what the scan found: where the data ends and
 * the last sequence. Damage at the end of the block may have taken records the footer still counts, so there the
 * footer may describe more than the scan found, never less. Any footer area holding bytes that are not a valid footer
 * is tampering, except in the last block, which a kill during sealing can leave half-written (the next roll rewrites
 * it).
 * <p>
 * Not thread-safe: one per recovery.
 */
final class FooterCheck
{
    private final BlockFooterCodec codec = new BlockFooterCodec();

    /**
     * @param end         where the scan found the data to end.
     * @param damageEnd   where the last damage in the block ended (0 when none).
     * @param scannedLast the last sequence the scan found.
     * @return the footer's range as {@link Kind#TAMPERED_FOOTER}, or null when the footer is fine or absent.
     */
    LostRange check(
        final MessageBlock target, final int end, final int damageEnd, final long scannedLast, final boolean lastBlock)
    {
        final int at = target.footerOffset();
        try
        {
            final BlockFooter footer = target.readFooter(codec);
            final boolean damagedEnd = damageEnd > end;
            final boolean disagrees = null != footer && (footer.dataEndOffset() != Math.max(end, damageEnd) ||
                (damagedEnd ? footer.lastSeq() < scannedLast : footer.lastSeq() != scannedLast));
            final boolean garbage = null == footer && !lastBlock &&
                holdsData(target.buffer(), at, BlockFooterCodec.FOOTER_LENGTH);
            return disagrees || garbage ? tampered(target, at) : null;
        }
        catch (final AuthenticationFailedException ex)
        {
            return tampered(target, at);
        }
    }

    private static LostRange tampered(final MessageBlock target, final int at)
    {
        return new LostRange(target.file(), at, at + BlockFooterCodec.FOOTER_LENGTH, StoreException.UNKNOWN,
            StoreException.UNKNOWN, Kind.TAMPERED_FOOTER);
    }

    private static boolean holdsData(final UnsafeBuffer buffer, final int at, final int length)
    {
        if (at < BlockDescriptor.DATA_OFFSET || at + length > buffer.capacity())
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (buffer.getByte(at + i) != 0)
            {
                return true;
            }
        }
        return false;
    }
}
