package io.ferrite.tools;

import io.ferrite.crypto.AuthenticationFailedException;
import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.CryptoException;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The footer of an encrypted block: the plaintext metadata ({@link BlockFooter}) the engine writes into the last
 * {@link BlockFooterCodec#FOOTER_LENGTH} bytes of a block when it seals it, authenticated with an HMAC under the
 * block's key. Read without decrypting anything.
 * <p>
 * With the block's key the MAC is verified ({@link BlockFooterCodec#decode}); without it the fields are read as they
 * stand ({@link BlockFooterCodec#peekUnverified}) and reported as unverified.
 *
 * @param offset  where the footer sits in the block file.
 * @param fields  the footer's values (authenticated only when {@code status} is {@link Status#VERIFIED}), or null.
 * @param problem what is wrong, or null.
 */
record FooterCheck(FooterCheck.Status status, long offset, BlockFooter fields, String problem)
{
    enum Status
    {
        /** No footer: the block was never sealed, or it was and the footer did not reach the disk before a crash. */
        NONE("none"),
        /** A footer whose MAC was not checked: no key was given. */
        UNVERIFIED("unverified"),
        /** A footer whose MAC verified under the block's key. */
        VERIFIED("verified"),
        /** A footer whose MAC does not verify: altered, moved from another block, or written under another key. */
        TAMPERED("TAMPERED"),
        /** Bytes where the footer goes that are not a footer this build reads. */
        DAMAGED("DAMAGED");

        private final String label;

        Status(final String label)
        {
            this.label = label;
        }

        String label()
        {
            return label;
        }
    }

    /**
     * Read the footer of a block file whose header was checked.
     *
     * @param key   the block's key (derived from the salt in its header, key id checked), or null: unverified.
     * @return null when the header cannot be trusted to say where the footer is.
     */
    static FooterCheck read(
        final FileChannel channel, final long fileSize, final BlockHeaderReport header, final long blockId,
        final BlockKey key, final BlockFooterCodec codec) throws IOException
    {
        final long at = header.footerOffset();
        if (at < 0)
        {
            return null;
        }
        if (fileSize < at + BlockFooterCodec.FOOTER_LENGTH)
        {
            return new FooterCheck(Status.DAMAGED, at, null, "the file is " + fileSize + " bytes, too short to " +
                "hold the footer its header places at offset " + at);
        }
        final ByteBuffer footer = ByteBuffer.allocate(BlockFooterCodec.FOOTER_LENGTH);
        while (footer.hasRemaining())
        {
            if (channel.read(footer, at + footer.position()) < 0)
            {
                throw new EOFException("block footer ended early");
            }
        }
        return of(footer, 0, at, header, blockId, key, codec);
    }

    /**
     * Examine the footer held at {@code index} of {@code src}, which sits at {@code fileOffset} in its block file.
     */
    static FooterCheck of(
        final ByteBuffer src, final int index, final long fileOffset, final BlockHeaderReport header,
            final long blockId,
        final BlockKey key, final BlockFooterCodec codec)
    {
        if (allZero(src, index))
        {
            return new FooterCheck(Status.NONE, fileOffset, null, null);
        }
        if (!BlockFooterCodec.looksLikeFooter(src, index))
        {
            return new FooterCheck(Status.DAMAGED, fileOffset, null, "the last " + BlockFooterCodec.FOOTER_LENGTH +
                " bytes are neither zeros nor a block footer (no footer magic)");
        }
        if (null != key)
        {
            try
            {
                return new FooterCheck(Status.VERIFIED, fileOffset, codec.decode(key, blockId, src, index, fileOffset),
                    null);
            }
            catch (final AuthenticationFailedException ex)
            {
                return new FooterCheck(Status.TAMPERED, fileOffset, null, "the footer's MAC does not verify under " +
                    "the block's key: it was altered, moved from another block, or written under another key");
            }
            catch (final CryptoException ex)
            {
                return new FooterCheck(Status.DAMAGED, fileOffset, null, ex.getMessage());
            }
        }
        final long keyId = BlockFooterCodec.peekKeyId(src, index);
        if (header.trusted() && keyId != header.keyId())
        {
            return new FooterCheck(Status.DAMAGED, fileOffset, null, "the footer names block key " +
                BlockKey.keyIdHex(keyId) + " but the header names " + BlockKey.keyIdHex(header.keyId()));
        }
        try
        {
            return new FooterCheck(Status.UNVERIFIED, fileOffset, BlockFooterCodec.peekUnverified(src, index), null);
        }
        catch (final IllegalArgumentException ex)
        {
            return new FooterCheck(Status.DAMAGED, fileOffset, null, "the footer holds impossible values: " +
                ex.getMessage());
        }
    }

    private static boolean allZero(final ByteBuffer src, final int index)
    {
        for (int i = 0; i < BlockFooterCodec.FOOTER_LENGTH; i++)
        {
            if (src.get(index + i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    boolean isProblem()
    {
        return status == Status.TAMPERED || status == Status.DAMAGED;
    }

    boolean hasFields()
    {
        return null != fields;
    }

    /**
     * @return this footer checked against what another source says of the block: null when they agree, else what
     * differs.
     */
    FooterCheck against(final String source, final Expected expected)
    {
        if (null == fields)
        {
            return this;
        }
        final List<String> differences = expected.differences(fields);
        if (differences.isEmpty())
        {
            return this;
        }
        return new FooterCheck(Status.DAMAGED, offset, fields, "the footer" + (status == Status.VERIFIED ?
            " (authentic)" : "") + " and " + source + " disagree: " + String.join(", ", differences));
    }

    /**
     * @return one line naming the file and offset, for a problem.
     */
    String describe(final Path file)
    {
        return file + " offset " + offset + ": " + (null == problem ? status.label() : problem);
    }

    String sequences()
    {
        if (null == fields)
        {
            return "-";
        }
        return fields.messageCount() == 0 ? "(no message) .." + fields.lastSeq() :
            fields.firstSeq() + ".." + fields.lastSeq();
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("status", status.name().toLowerCase(Locale.ROOT));
        json.put("offset", offset);
        json.put("authenticated", status == Status.VERIFIED);
        if (null != fields)
        {
            json.put("firstSeq", fields.firstSeq());
            json.put("lastSeq", fields.lastSeq());
            json.put("firstTime", Units.instant(fields.firstTime()));
            json.put("lastTime", Units.instant(fields.lastTime()));
            json.put("msgs", fields.messageCount());
            json.put("msgBytes", fields.byteCount());
            json.put("dataEnd", fields.dataEndOffset());
            json.put("frames", fields.frameCount());
            json.put("lastChecksum", Units.checksum((int)fields.lastChecksum()));
        }
        json.put("problem", problem);
        return json;
    }

    /**
     * Which way removals move another source's counts away from a footer's. A footer is written once, when its block
     * is sealed, and counts the messages stored then; messages removed before that are not in it, messages removed
     * after it still are.
     */
    enum Removed
    {
        /**
         * The other source counts every message the block's records hold, removed or not (a scan of the records): the
         * footer may count fewer, never more.
         */
        BY_FOOTER,
        /**
         * The other source counts the messages stored now (state.db): the footer may count more, and more bytes —
         * never fewer. Its first sequence cannot be compared (pass null): once a block's first message is removed,
         * the engine keeps the old first sequence in state.db as a lower bound, while a footer written when the block
         * was sealed or compacted holds the first sequence of that moment, so either may be the lower.
         */
        SINCE_FOOTER
    }

    /**
     * What another source (state.db, a scan of the records) says a sealed block holds; null fields are not compared.
     * Message counts and bytes are compared allowing for removals the way {@code removed} says.
     */
    record Expected(Long firstSeq, long lastSeq, Long msgs, Long msgBytes, long dataEnd, Integer lastChecksum,
        Removed removed)
    {
        List<String> differences(final BlockFooter footer)
        {
            final boolean since = removed == Removed.SINCE_FOOTER;
            final List<String> differences = new ArrayList<>();
            if (null != firstSeq && footer.firstSeq() != firstSeq)
            {
                differences.add("first sequence " + footer.firstSeq() + " vs " + firstSeq);
            }
            if (footer.lastSeq() != Math.max(0, lastSeq))
            {
                differences.add("last sequence " + footer.lastSeq() + " vs " + Math.max(0, lastSeq));
            }
            if (null != msgs && (since ? footer.messageCount() < msgs : footer.messageCount() > msgs))
            {
                differences.add("messages " + footer.messageCount() + " vs " + msgs + (since ?
                    " (removals since the footer was written can only lower it)" :
                    " (the footer cannot count more messages than the block's records hold)"));
            }
            if (null != msgBytes && (since ? footer.byteCount() < msgBytes : footer.byteCount() > msgBytes))
            {
                differences.add("message bytes " + footer.byteCount() + " vs " + msgBytes);
            }
            if (footer.dataEndOffset() != dataEnd)
            {
                differences.add("data end " + footer.dataEndOffset() + " vs " + dataEnd);
            }
            if (null != lastChecksum && footer.lastChecksum() != Integer.toUnsignedLong(lastChecksum))
            {
                differences.add("last checksum " + Units.checksum((int)footer.lastChecksum()) + " vs " +
                    Units.checksum(lastChecksum));
            }
            return differences;
        }
    }
}
