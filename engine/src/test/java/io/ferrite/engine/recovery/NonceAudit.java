package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.EncryptedBlocks;
import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.BlockKeys;
import io.ferrite.crypto.FrameCipher;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.FrameCounters;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.StateDescriptor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects every (block key id, GCM nonce) pair an encrypted stream's files show, snapshot after snapshot (take one
 * after every crash, before anything reopens the stream: recovery zeroes a torn tail, and with it the evidence), and
 * finds any pair used for two different sealings.
 * <p>
 * A pair seen again is fine only as the very same sealed bytes at the same place — the same record observed in a later
 * snapshot. The same pair over different bytes, or at another place, is a nonce reused under one key. Torn records
 * count as soon as their frame length and sequence are written: the ciphertext that follows may already be on disk.
 * The key id of each block is checked against the one derived from its salt, and {@code state.db}, sealed under a
 * fresh key on every write, must never show the same salt over different contents.
 */
public final class NonceAudit
{
    private final byte[] streamKey;
    private final Map<String, Sighting> sightings = new HashMap<>();
    private final Map<Long, String> blockOfKey = new HashMap<>();
    private final Map<String, byte[]> stateBySalt = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private final Set<String> tornPairs = new HashSet<>();
    private int snapshots;

    private record Sighting(String file, int offset, byte[] bytes, int snapshot)
    {
    }

    public NonceAudit(final Path streamDir, final byte[] callerKey, final String streamName)
    {
        this.streamKey = EncryptedBlocks.streamKey(streamDir, callerKey, streamName);
    }

    /**
     * Record every sealed record, complete or torn, of every block file in the stream directory as it stands now.
     */
    public void snapshot(final Path streamDir)
    {
        snapshots++;
        for (final Path block : BlockFiles.blocks(streamDir))
        {
            final byte[] bytes = BlockFiles.readAll(block);
            if (bytes.length < BlockDescriptor.HEADER_LENGTH)
            {
                continue;
            }
            final String file = block.getFileName().toString();
            final BlockKey key = EncryptedBlocks.blockKey(bytes, streamKey);
            final long keyId = EncryptedBlocks.headerKeyId(bytes);
            if (key.keyId() != keyId)
            {
                violations.add(file + ": header key id " + BlockKey.keyIdHex(keyId) +
                    " is not the one its salt derives, " + key);
            }
            final String owner = blockOfKey.putIfAbsent(keyId, file);
            if (null != owner && !owner.equals(file))
            {
                violations.add("blocks " + owner + " and " + file + " share block key " + BlockKey.keyIdHex(keyId));
            }
            for (final EncryptedBlocks.SealedRecord record : EncryptedBlocks.sealedRecords(block))
            {
                final byte[] nonce = new byte[FrameCipher.NONCE_LENGTH];
                FrameCipher.nonce(key, FrameCounters.of(RecordDescriptor.TYPE_MESSAGE, record.seq(), record.offset()),
                    nonce, 0);
                final String pair = BlockKey.keyIdHex(keyId) + "/" + HexFormat.of().formatHex(nonce);
                if (!record.complete())
                {
                    tornPairs.add(pair);
                }
                final Sighting seen = sightings.putIfAbsent(pair,
                    new Sighting(file, record.offset(), record.bytes(), snapshots));
                if (null != seen && (!seen.file.equals(file) || seen.offset != record.offset() ||
                    !Arrays.equals(seen.bytes, record.bytes())))
                {
                    violations.add("(key " + pair + ") sealed twice: seq " + record.seq() + " in " + seen.file +
                        " at " + seen.offset + " (snapshot " + seen.snapshot + ") and in " + file + " at " +
                            record.offset() +
                        " (snapshot " + snapshots + ")" + (record.complete() ? "" : ", torn"));
                }
            }
        }
        final Path state = streamDir.resolve("state.db");
        if (Files.exists(state))
        {
            final byte[] bytes = BlockFiles.readAll(state);
            if (bytes.length >= StateDescriptor.HEADER_LENGTH)
            {
                final String salt = HexFormat.of().formatHex(bytes, StateDescriptor.SALT_OFFSET,
                    StateDescriptor.SALT_OFFSET + BlockKeys.SALT_LENGTH);
                final byte[] before = stateBySalt.putIfAbsent(salt, bytes);
                if (null != before && !Arrays.equals(before, bytes))
                {
                    violations.add("state.db sealed two different contents under salt " + salt);
                }
            }
        }
    }

    /**
     * @return every reuse found, empty when none.
     */
    public List<String> violations()
    {
        return violations;
    }

    public int pairs()
    {
        return sightings.size();
    }

    /**
     * @return distinct torn records seen (a record in flight when a process died).
     */
    public int tornRecords()
    {
        return tornPairs.size();
    }

    public int blockKeys()
    {
        return blockOfKey.size();
    }

    public int stateKeys()
    {
        return stateBySalt.size();
    }
}
