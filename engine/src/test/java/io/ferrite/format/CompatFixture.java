package io.ferrite.format;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A small stream whose every byte of content follows from its sequence numbers, written once per on-disk format and
 * kept in test resources ({@code io/ferrite/format/compat/<format>-<mode>}), so {@link FormatCompatibilityTest} can
 * check that every later build still opens what an earlier one wrote.
 * <p>
 * To add the fixture of a new format: {@code mvn -pl crypto,engine test-compile} and run this class's {@code main}
 * with the test class path and the new directory name, e.g. {@code v2}; never rewrite an existing fixture.
 */
public final class CompatFixture
{
    public static final String STREAM = "compat";
    public static final int MESSAGES = 240;
    public static final int BLOCK_SIZE = 4096;
    /** The encrypted fixture's stream key: fixed, since the fixture is public test data. */
    public static final byte[] KEY = key();
    public static final long ERASED = 10;

    private CompatFixture()
    {
    }

    public static StreamConfig config(final boolean encrypted)
    {
        final StreamConfig.Builder builder = StreamConfig.builder(STREAM)
            .blockSize(BLOCK_SIZE).maxMsgSize(1024).syncMode(SyncMode.NONE);
        if (encrypted)
        {
            builder.encryptionKey(KEY);
        }
        return builder.build();
    }

    public static String subject(final long seq)
    {
        return "compat." + (seq % 5 == 0 ? "audit" : "orders") + "." + (seq % 3);
    }

    public static byte[] headers(final long seq)
    {
        return seq % 4 == 0 ? ("h" + seq).getBytes(StandardCharsets.US_ASCII) : new byte[0];
    }

    public static byte[] payload(final long seq)
    {
        final byte[] payload = new byte[(int)(seq * 37 % 300)];
        new SplittableRandom(seq).nextBytes(payload);
        return payload;
    }

    /**
     * @return whether the fixture removed {@code seq} (every seventh message, and the erased one).
     */
    public static boolean removed(final long seq)
    {
        return seq % 7 == 0 || seq == ERASED;
    }

    /**
     * Write the fixture streams {@code <name>-plaintext} and {@code <name>-encrypted} under {@code root}.
     */
    public static void write(final Path root, final String name) throws IOException
    {
        for (final boolean encrypted : new boolean[]{ false, true })
        {
            final Path dir = root.resolve(name + (encrypted ? "-encrypted" : "-plaintext"));
            if (Files.exists(dir))
            {
                throw new IllegalStateException(dir + " exists: a fixture is never rewritten");
            }
            try (StreamStore store = FileStreamStore.open(dir, config(encrypted)))
            {
                for (long seq = 1; seq <= MESSAGES; seq++)
                {
                    final long assigned = store.append(subject(seq), headers(seq), payload(seq));
                    if (assigned != seq)
                    {
                        throw new IllegalStateException("fixture assigned " + assigned + " where it expected " + seq);
                    }
                }
                for (long seq = 7; seq <= MESSAGES; seq += 7)
                {
                    store.remove(seq);
                }
                store.erase(ERASED);
                store.flush().join();
            }
        }
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length != 2)
        {
            throw new IllegalArgumentException("usage: CompatFixture <resources dir> <format name, e.g. v2>: " +
                Arrays.toString(args));
        }
        write(Path.of(args[0]), args[1]);
    }

    private static byte[] key()
    {
        final byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++)
        {
            key[i] = (byte)(0xA5 ^ i * 7);
        }
        return key;
    }
}
