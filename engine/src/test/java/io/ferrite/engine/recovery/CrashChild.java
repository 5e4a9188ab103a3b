package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * The process {@link CrashRecoveryTest} kills. Opens the stream, prints {@code OPEN <lastSeq>}, then appends the
 * messages {@link TestMessages} derives from each sequence and, every {@code flushEvery} appends, waits for
 * {@code flush()} and only then prints the durable sequence it returned on a line of its own; every
 * {@code stateEvery} flushes (0: never) it also writes {@code state.db}, so kills land in state writes too and later
 * recoveries start from a state older than the blocks. It never closes the store: it is killed with SIGKILL, or
 * stops after {@code maxAppends} as a safety net, or halts when its parent goes away (standard input reaches end of
 * file).
 * <p>
 * Arguments: {@code <dir> <blockSize> <maxPayload> <flushEvery> <stateEvery> <maxAppends> [<key>]}, where the optional
 * key is the stream's 32-byte encryption key in hex ({@code -} or absent: a plaintext stream).
 */
public final class CrashChild
{
    public static final String STREAM = "crash";

    private CrashChild()
    {
    }

    public static StreamConfig config(final int blockSize, final int maxPayload)
    {
        return config(blockSize, maxPayload, null);
    }

    /**
     * @param key the encryption key, or null for a plaintext stream.
     */
    public static StreamConfig config(final int blockSize, final int maxPayload, final byte[] key)
    {
        final StreamConfig.Builder builder =
            StreamConfig.builder(STREAM).blockSize(blockSize).maxMsgSize(maxPayload + 64);
        return (null == key ? builder : builder.encryptionKey(key)).build();
    }

    public static void main(final String[] args)
    {
        final Path dir = Path.of(args[0]);
        final int blockSize = Integer.parseInt(args[1]);
        final int maxPayload = Integer.parseInt(args[2]);
        final int flushEvery = Integer.parseInt(args[3]);
        final int stateEvery = Integer.parseInt(args[4]);
        final long maxAppends = Long.parseLong(args[5]);
        final byte[] key = args.length > 6 && !"-".equals(args[6]) ? HexFormat.of().parseHex(args[6]) : null;
        ChildProcess.haltWhenParentGoes();

        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false,
            StandardCharsets.US_ASCII);
        final TestMessages messages = new TestMessages(maxPayload);
        final StreamStore store = FileStreamStore.open(dir, config(blockSize, maxPayload, key));
        out.println("OPEN " + store.state().lastSeq());
        out.flush();
        for (long i = 1; i <= maxAppends; i++)
        {
            messages.appendNext(store);
            if (i % flushEvery == 0)
            {
                final long durable = store.flush().join();
                out.println(durable);
                out.flush();
                if (stateEvery > 0 && (i / flushEvery) % stateEvery == 0)
                {
                    store.writeFullState();
                }
            }
        }
        out.println("DONE");
        out.flush();
        Runtime.getRuntime().halt(0);
    }
}
