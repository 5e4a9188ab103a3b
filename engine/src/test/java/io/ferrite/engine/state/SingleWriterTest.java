package io.ferrite.engine.state;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.store.StreamLockedException;
import io.ferrite.store.StreamState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * One writer per stream, whatever else the holding process does to the stream's files: after a second open attempt
 * in the same process, and after that process read every file of the directory (as a backup copying it would), a
 * second JVM ({@link OpenAttemptChild}) is still refused — and once the holder closes, the same child opens the stream
 * and its message survives, so the refusals were the lock and nothing else.
 * <p>
 * Both events used to hand the stream to the second JVM: each opened and closed a descriptor of {@code LOCK}, and on
 * Linux that drops every POSIX lock the process holds on the file.
 */
class SingleWriterTest
{
    private static final byte[] PAYLOAD = "from the parent".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    @Test
    void aSecondOpenerInTheSameProcessIsRefusedWithoutReleasingTheLock() throws Exception
    {
        final Path dir = tmp.resolve("stream");
        try (FileStreamStore store = FileStreamStore.open(dir, OpenAttemptChild.config()))
        {
            store.append("parent", null, PAYLOAD);
            assertThatThrownBy(() -> FileStreamStore.open(dir, OpenAttemptChild.config()))
                .isInstanceOf(StreamLockedException.class)
                .hasMessageContaining("stream directory " + dir + " is already open in this process")
                .satisfies((ex) -> assertThat(((StreamLockedException)ex).file()).isEqualTo(dir.resolve("LOCK")));
            final Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
            assertThatThrownBy(() -> FileStreamStore.open(link, OpenAttemptChild.config()))
                .isInstanceOf(StreamLockedException.class)
                .hasMessageContaining("stream directory " + link + " is already open in this process (as " + dir + ")");

            final List<String> child = runChild(dir);
            assertThat(child).as("the child after a refused second open in the parent").hasSize(1);
            assertThat(child.get(0)).startsWith("LOCKED stream directory " + dir + " is already open in another " +
                "process, which holds the lock on " + dir.resolve("LOCK"));
            store.append("parent", null, PAYLOAD);
        }
        assertChildOpensOnceTheParentClosed(dir, 2);
    }

    @Test
    void readingEveryFileOfTheDirectoryInTheHoldingProcessLetsNoSecondWriterIn() throws Exception
    {
        final Path dir = tmp.resolve("stream");
        try (FileStreamStore store = FileStreamStore.open(dir, OpenAttemptChild.config()))
        {
            store.append("parent", null, PAYLOAD);
            store.flush().join();
            final List<String> read = readEveryFile(dir);
            assertThat(read).as("what a backup copying the directory reads").contains("LOCK", "stream.json");
            assertThat(read).anyMatch((name) -> name.endsWith(".blk"));

            final List<String> child = runChild(dir);
            assertThat(child).as("the child after the parent read every file").hasSize(1);
            assertThat(child.get(0)).startsWith("LOCKED stream directory " + dir + " is already open in process " +
                ProcessHandle.current().pid() + " (started ");

            // Both events together, and again: still one writer.
            assertThatThrownBy(() -> FileStreamStore.open(dir, OpenAttemptChild.config()))
                .isInstanceOf(StreamLockedException.class);
            readEveryFile(dir);
            assertThat(runChild(dir)).singleElement().asString().startsWith("LOCKED stream directory " + dir);
            store.append("parent", null, PAYLOAD);
        }
        assertChildOpensOnceTheParentClosed(dir, 2);
    }

    @Test
    void aRenamedOpenDirectoryIsStillRecognisedAsOpen() throws IOException
    {
        final Path dir = tmp.resolve("stream");
        final Path moved = tmp.resolve("moved");
        try (FileStreamStore store = FileStreamStore.open(dir, OpenAttemptChild.config()))
        {
            Files.move(dir, moved);
            try
            {
                assertThatThrownBy(() -> FileStreamStore.open(moved, OpenAttemptChild.config()))
                    .isInstanceOf(StreamLockedException.class)
                    .hasMessageContaining("stream directory " + moved + " is already open in this process (as " + dir +
                        ")");
            }
            finally
            {
                Files.move(moved, dir);
            }
            store.append("parent", null, PAYLOAD);
        }
    }

    @Test
    void theOwnerRecordIsClearedOnCloseAndNamesTheDirectoryItLocks() throws IOException
    {
        final Path dir = tmp.resolve("stream");
        final Path lockFile = dir.resolve("LOCK");
        try (FileStreamStore store = FileStreamStore.open(dir, OpenAttemptChild.config()))
        {
            final LockOwner owner = LockOwner.parse(Files.readString(lockFile, StandardCharsets.US_ASCII));
            assertThat(owner).isNotNull();
            assertThat(owner.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(owner.lockFile()).isEqualTo(lockIdentity(dir));
            // In its own process the registry of open directories decides, never the record.
            assertThat(owner.holds(lockIdentity(dir))).isFalse();
            store.append("parent", null, PAYLOAD);
        }
        assertThat(Files.size(lockFile)).as("a clean close leaves no owner").isZero();
        FileStreamStore.open(dir, OpenAttemptChild.config()).close();
    }

    @Test
    void aLiveOwnerRecordRefusesAnOpenerThatGotTheLock() throws IOException
    {
        final Path dir = tmp.resolve("stream");
        FileStreamStore.open(dir, OpenAttemptChild.config()).close();
        // What a holder's LOCK holds once a read in the holder's own process dropped its lock: that process (here the
        // one that started this JVM: alive, and not this process, whose own registry would decide), this directory.
        final ProcessHandle holder = ProcessHandle.current().parent().orElseThrow();
        final LockOwner record = new LockOwner(holder.pid(), LockOwner.startMillis(holder), lockIdentity(dir));
        Files.writeString(dir.resolve("LOCK"), record.line());
        assertThatThrownBy(() -> FileStreamStore.open(dir, OpenAttemptChild.config()))
            .isInstanceOf(StreamLockedException.class)
            .hasMessageContaining("stream directory " + dir + " is already open in process " + holder.pid());
        assertThat(LockOwner.parse(Files.readString(dir.resolve("LOCK")))).as("the refused opener changed nothing")
            .isEqualTo(record);
    }

    @Test
    void staleOwnerRecordsAreTakenOver() throws IOException
    {
        final Path dir = tmp.resolve("stream");
        FileStreamStore.open(dir, OpenAttemptChild.config()).close();
        final String identity = lockIdentity(dir);
        final LockOwner self = LockOwner.current(identity);
        final List<LockOwner> stale = List.of(
            new LockOwner(Integer.MAX_VALUE, self.startedMillis(), identity),          // no such process
            new LockOwner(self.pid(), self.startedMillis() - 60_000, identity),       // a recycled pid
            new LockOwner(self.pid(), self.startedMillis(), "dev=0,ino=0"));           // copied from another LOCK
        for (final LockOwner owner : stale)
        {
            Files.writeString(dir.resolve("LOCK"), owner.line());
            try (FileStreamStore store = FileStreamStore.open(dir, OpenAttemptChild.config()))
            {
                assertThat(LockOwner.parse(Files.readString(dir.resolve("LOCK")))).as("taken over from %s", owner)
                    .isEqualTo(self);
            }
        }
        Files.writeString(dir.resolve("LOCK"), "not a lock record\n");
        FileStreamStore.open(dir, OpenAttemptChild.config()).close();
    }

    @Test
    void aCopyOfALiveStreamOpensBesideIt() throws IOException
    {
        final Path dir = tmp.resolve("stream");
        final Path copy = tmp.resolve("copy");
        try (FileStreamStore store = FileStreamStore.open(dir, OpenAttemptChild.config()))
        {
            store.append("parent", null, PAYLOAD);
            store.flush().join();
            store.whileQuiescent(() -> BlockFiles.copyTree(dir, copy));
            try (FileStreamStore copied = FileStreamStore.open(copy, OpenAttemptChild.config()))
            {
                assertThat(copied.load(1).payload()).isEqualTo(PAYLOAD);
            }
        }
    }

    private static String lockIdentity(final Path dir)
    {
        return OpenStreamDirectories.identity(dir.resolve("LOCK"));
    }

    /**
     * @return the names of the files read: every regular file under {@code dir}, read whole, as a copy would.
     */
    private static List<String> readEveryFile(final Path dir) throws IOException
    {
        final List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path file : (Iterable<Path>)files.filter(Files::isRegularFile)::iterator)
            {
                Files.readAllBytes(file);
                names.add(file.getFileName().toString());
            }
        }
        return names;
    }

    private void assertChildOpensOnceTheParentClosed(final Path dir, final long parentLastSeq) throws Exception
    {
        assertThat(runChild(dir)).as("the child once the parent closed")
            .containsExactly("OPENED " + parentLastSeq, "APPENDED " + (parentLastSeq + 1), "CLOSED");
        try (FileStreamStore store = FileStreamStore.open(dir, OpenAttemptChild.config()))
        {
            final StreamState state = store.state();
            assertThat(state.lastSeq()).isEqualTo(parentLastSeq + 1);
            assertThat(state.msgs()).isEqualTo(parentLastSeq + 1);
            for (long seq = 1; seq <= parentLastSeq; seq++)
            {
                assertThat(store.load(seq).payload()).as("seq %d", seq).isEqualTo(PAYLOAD);
            }
            assertThat(store.load(parentLastSeq + 1).subject()).isEqualTo("child");
        }
    }

    /**
     * @return every line the child printed, once it has ended.
     */
    private List<String> runChild(final Path dir) throws IOException, InterruptedException
    {
        final Path errors = tmp.resolve("child.err");
        final Process child = new ProcessBuilder(ChildProcess.javaCommand(OpenAttemptChild.class, dir.toString()))
            .redirectError(errors.toFile())
            .start();
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread pump = new Thread(() -> ChildProcess.pumpLines(child, lines), "open-attempt-stdout");
        pump.setDaemon(true);
        pump.start();
        try
        {
            final List<String> said = new ArrayList<>();
            for (String line = lines.poll(ChildProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS);
                !ChildProcess.EOF.equals(line); line = lines.poll(ChildProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                if (null == line)
                {
                    fail("the child printed nothing for " + ChildProcess.TIMEOUT_SECONDS + " s" +
                        ChildProcess.errors(errors));
                }
                said.add(line);
            }
            assertThat(child.waitFor(ChildProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("the child ended").isTrue();
            assertThat(child.exitValue()).as("child exit, saying %s%s", said, ChildProcess.errors(errors)).isZero();
            return said;
        }
        finally
        {
            child.destroyForcibly();
            child.waitFor(ChildProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
