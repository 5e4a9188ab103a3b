package io.ferrite.engine.state;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLockedException;
import io.ferrite.store.StreamStore;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The second process of {@link SingleWriterTest}: tries once to open the stream in {@code args[0]} and says what
 * happened on one line — {@code LOCKED <message>} when it was refused as open elsewhere, or {@code OPENED <lastSeq>},
 * then {@code APPENDED <seq>} after appending one message, then {@code CLOSED}. Anything else is
 * {@code FAILED <exception>}.
 */
public final class OpenAttemptChild
{
    public static final String STREAM = "single";

    private OpenAttemptChild()
    {
    }

    public static StreamConfig config()
    {
        return StreamConfig.builder(STREAM).blockSize(64 * 1024).maxMsgSize(4096).build();
    }

    public static void main(final String[] args)
    {
        ChildProcess.haltWhenParentGoes();
        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        int exit = 0;
        try
        {
            try (StreamStore store = FileStreamStore.open(Path.of(args[0]), config()))
            {
                out.println("OPENED " + store.state().lastSeq());
                final byte[] payload = "from the child".getBytes(StandardCharsets.UTF_8);
                out.println("APPENDED " + store.append("child", null, payload));
                store.flush().join();
            }
            out.println("CLOSED");
        }
        catch (final StreamLockedException ex)
        {
            out.println("LOCKED " + ex.getMessage().replace('\n', ' '));
        }
        catch (final RuntimeException ex)
        {
            out.println("FAILED " + ex.toString().replace('\n', ' '));
            exit = 1;
        }
        out.flush();
        Runtime.getRuntime().halt(exit);
    }
}
