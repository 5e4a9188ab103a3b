package io.ferrite.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A peer's directory: which group and peer it belongs to, the Ferrite stream, and Ratis's storage.
 * <pre>
 *  node/
 *    replication.id   "group=UUID" and "peer=ID" lines, written once, at the first start
 *    stream/          the Ferrite stream (a FileStreamStore directory)
 *    stream.old/      only while a snapshot install replaces the stream
 *    install.pending  only between Ratis pausing the state machine for a snapshot install and the stream's restore
 *    raft/            Ratis: its segmented Raft log, metadata, and sm/ with the snapshot files
 * </pre>
 * The marker is what keeps one group's data from being joined to another group: a directory that already belongs to
 * a group or peer other than the one asked for is refused before anything in it is opened or written.
 */
public final class NodeDirectory
{
    public static final String MARKER_FILE_NAME = "replication.id";
    public static final String STREAM_DIR_NAME = "stream";
    public static final String OLD_STREAM_DIR_NAME = "stream.old";
    public static final String RAFT_DIR_NAME = "raft";
    public static final String INSTALL_PENDING_FILE_NAME = "install.pending";

    private final Path root;

    private NodeDirectory(final Path root)
    {
        this.root = root;
    }

    /**
     * Claim {@code root} for {@code groupId} and {@code peerId}, or check that it is theirs already.
     *
     * @return the directory, with its marker written (durably) when it was new.
     * @throws IllegalStateException naming the directory and both groups (or peers) when it belongs to another one,
     *                               or when it holds files but no marker; nothing is changed.
     */
    public static NodeDirectory claim(final Path root, final String groupId, final String peerId)
    {
        final Path marker = root.resolve(MARKER_FILE_NAME);
        try
        {
            if (Files.exists(marker))
            {
                check(marker, groupId, peerId);
            }
            else
            {
                if (Files.isDirectory(root))
                {
                    try (Stream<Path> children = Files.list(root))
                    {
                        if (children.findAny().isPresent())
                        {
                            throw new IllegalStateException("node directory " + root + " holds files but no " +
                                MARKER_FILE_NAME + ": it is not a replicated stream's directory (or was made by " +
                                "something else); refusing to use it for group " + groupId + ", nothing changed");
                        }
                    }
                }
                Files.createDirectories(root);
                writeMarker(marker, groupId, peerId);
            }
            return new NodeDirectory(root);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot claim node directory " + root, ex);
        }
    }

    private static void check(final Path marker, final String groupId, final String peerId) throws IOException
    {
        String storedGroup = null;
        String storedPeer = null;
        for (final String line : Files.readAllLines(marker, StandardCharsets.UTF_8))
        {
            if (line.startsWith("group="))
            {
                storedGroup = line.substring("group=".length());
            }
            else if (line.startsWith("peer="))
            {
                storedPeer = line.substring("peer=".length());
            }
        }
        if (null == storedGroup || null == storedPeer)
        {
            throw new IllegalStateException("damaged marker " + marker + ": no group= or peer= line; nothing changed");
        }
        if (!storedGroup.equals(groupId))
        {
            throw new IllegalStateException("node directory " + marker.getParent() + " belongs to group " +
                storedGroup + ", not to group " + groupId + ": refusing to start, nothing changed");
        }
        if (!storedPeer.equals(peerId))
        {
            throw new IllegalStateException("node directory " + marker.getParent() + " belongs to peer " +
                storedPeer + " of group " + groupId + ", not to peer " + peerId +
                ": refusing to start, nothing changed");
        }
    }

    private static void writeMarker(final Path marker, final String groupId, final String peerId) throws IOException
    {
        final Path temp = marker.resolveSibling(MARKER_FILE_NAME + ".tmp");
        final byte[] content = ("group=" + groupId + "\npeer=" + peerId + "\n").getBytes(StandardCharsets.UTF_8);
        Files.write(temp, content);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        Files.move(temp, marker, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(marker.getParent());
    }

    static void forceDirectory(final Path dir) throws IOException
    {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    public Path root()
    {
        return root;
    }

    public Path streamDir()
    {
        return root.resolve(STREAM_DIR_NAME);
    }

    public Path oldStreamDir()
    {
        return root.resolve(OLD_STREAM_DIR_NAME);
    }

    public Path raftDir()
    {
        return root.resolve(RAFT_DIR_NAME);
    }

    /**
     * @return whether Ratis has stored anything yet (a restart recovers it; a first start formats it).
     */
    public boolean raftStorageExists()
    {
        return Files.isDirectory(raftDir());
    }

    /**
     * Undo what a snapshot install cut short: with no stream but an old one, the old one comes back (the install is
     * repeated from the snapshot file); with both, the old one is deleted.
     */
    public void recoverInterruptedInstall()
    {
        try
        {
            if (!Files.exists(oldStreamDir()))
            {
                return;
            }
            if (Files.exists(streamDir()))
            {
                deleteTree(oldStreamDir());
            }
            else
            {
                Files.move(oldStreamDir(), streamDir(), StandardCopyOption.ATOMIC_MOVE);
                forceDirectory(root);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot recover an interrupted snapshot install in " + root, ex);
        }
    }

    /**
     * Record, durably, that a snapshot from the leader is about to replace the state machine's snapshot files.
     */
    public void markInstallPending()
    {
        try
        {
            final Path marker = root.resolve(INSTALL_PENDING_FILE_NAME);
            if (!Files.exists(marker))
            {
                Files.createFile(marker);
                forceDirectory(root);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot mark a snapshot install pending in " + root, ex);
        }
    }

    public boolean installPending()
    {
        return Files.exists(root.resolve(INSTALL_PENDING_FILE_NAME));
    }

    public void clearInstallPending()
    {
        try
        {
            if (Files.deleteIfExists(root.resolve(INSTALL_PENDING_FILE_NAME)))
            {
                forceDirectory(root);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot clear the pending snapshot install marker in " + root, ex);
        }
    }

    static void deleteTree(final Path dir) throws IOException
    {
        if (!Files.exists(dir))
        {
            return;
        }
        final List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir))
        {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (final Path path : paths)
        {
            Files.delete(path);
        }
    }
}
