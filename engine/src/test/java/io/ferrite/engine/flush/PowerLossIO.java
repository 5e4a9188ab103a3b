package io.ferrite.engine.flush;

import io.ferrite.store.StorageIO;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A power-loss model behind {@link StorageIO}, in the spirit of LazyFS: it remembers, per file, the image as of the
 * last completed force, and per directory the entries as of the last completed directory sync, and on
 * {@link #cut(Random, Path)} writes what a disk could hold after the power failed at that moment.
 * <ul>
 *   <li>Data: a forced range is copied into the file's shadow image when the force is asked for (the test reads the
 *   file through its own channel: the page cache shows writes made through the mapping). On a cut, every 4 KiB page
 *   whose current content differs from the shadow is, at random, kept (new content), dropped (the shadow's content)
 *   or torn at a 512-byte sector boundary (some sectors new, the others old). A file whose size changed since its
 *   last force gets the old or the new size at random.</li>
 *   <li>Directories: of the entries created, renamed or deleted since the directory's last sync, a random prefix (in
 *   name order, which for block files is creation order) keeps its new state and the rest revert to the synced one
 *   (the file as it was then, or no file): journaled file systems such as ext4 and XFS commit directory operations
 *   in order, so a later block can survive only with the earlier ones. Files are told apart by their file key
 *   (device and inode), so a rename is a change of entry, not of file.</li>
 * </ul>
 * Only the force that returned counts: a power cut in the middle of a force leaves its range unforced (the shadow is
 * installed when the call completes, under this model's lock, which {@link #cut} takes too).
 * <p>
 * Models the stream directory and its {@code blocks}, {@code consumers} and {@code cursors} sub-directories; {@code
 * blocks} always survives (the engine creates it before {@code stream.json}, whose rename syncs the root directory),
 * the other two, created on first use, survive only once a sync of the root directory followed their creation (else
 * at random; never in the worst case), and with them everything in them.
 */
public final class PowerLossIO implements StorageIO
{
    static final int PAGE = 4096;
    static final int SECTOR = 512;
    /** Listings of one directory in a row that may each lose a name to a rename before the model gives up. */
    private static final int MAX_LISTINGS = 1000;

    private final Path root;
    private final Path blocks;
    /** The sub-directories a consumer's state and a named tailer's cursor live in, created on first use. */
    private final Path[] created;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}: a test's action for a listing to run between the names and the keys, or null. */
    private Runnable interleaved;
    /** Guarded by {@link #lock}: listings to let pass before the one that runs {@link #interleaved}. */
    private int listingsBeforeInterleaved;
    /** File key to the file's content as of its last completed force (arrays are replaced, never changed). */
    private final Map<Object, byte[]> images = new HashMap<>();
    /** File key to the kind of file it was last seen as: a key seen as another kind is a reused inode. */
    private final Map<Object, String> kinds = new HashMap<>();
    /** Directory to name to the entry as of the last directory sync. */
    private final Map<Path, Map<String, Entry>> synced = new HashMap<>();
    /** The entries of {@link #created} present in the root directory as of its last sync. */
    private final Set<Path> syncedCreated = new HashSet<>();

    private long pagesKept;
    private long pagesDropped;
    private long pagesTorn;
    private long entriesReverted;
    private long entriesKept;

    private record Entry(Object key, byte[] image)
    {
    }

    /**
     * Everything in {@code root} now is taken as durable: the model starts from a quiet disk.
     */
    public PowerLossIO(final Path root)
    {
        this.root = root;
        this.blocks = root.resolve("blocks");
        this.created = new Path[] { root.resolve("consumers"), root.resolve("cursors") };
        synchronized (lock)
        {
            snapshotCreated();
            for (final Path dir : modelled())
            {
                final Map<String, Object> listing = list(dir);
                for (final Map.Entry<String, Object> entry : listing.entrySet())
                {
                    images.put(entry.getValue(), read(dir.resolve(entry.getKey())));
                }
                snapshotDirectory(dir, listing);
            }
        }
    }

    @Override
    public void forceBlock(
        final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from, final int to,
        final boolean metadata) throws IOException
    {
        synchronized (lock)
        {
            final Object key;
            try
            {
                key = key(file);
            }
            catch (final NoSuchFileException ex)
            {
                // Deleted since the flusher captured it (a reclaimed block): nothing to force; a cut brings it back, if
                // at all, from its directory's synced entry.
                return;
            }
            observe(key, file.getFileName().toString());
            final byte[] old = images.getOrDefault(key, new byte[0]);
            final long size = Files.size(file);
            final int length = (int)Math.max(old.length, metadata ? size : Math.min(size, to));
            final byte[] image = Arrays.copyOf(old, length);
            final int end = (int)Math.min(to, size);
            if (end > from)
            {
                try (FileChannel own = FileChannel.open(file, StandardOpenOption.READ))
                {
                    readFully(own, ByteBuffer.wrap(image, from, end - from), from);
                }
            }
            images.put(key, image);
        }
    }

    @Override
    public void forceFile(final Path file, final FileChannel channel) throws IOException
    {
        synchronized (lock)
        {
            final Object key = key(file);
            observe(key, kindName(file));
            images.put(key, Files.readAllBytes(file));
        }
    }

    @Override
    public void syncDirectory(final Path dir) throws IOException
    {
        synchronized (lock)
        {
            snapshotDirectory(dir, list(dir));
            if (dir.toAbsolutePath().normalize().equals(root.toAbsolutePath().normalize()))
            {
                snapshotCreated();
            }
            // A file in no modelled directory is gone (a synced entry keeps its own image): forget its image, or a new
            // file that reuses its inode would inherit that content as if forced.
            final Set<Object> present = new HashSet<>();
            for (final Path modelled : modelled())
            {
                present.addAll(list(modelled).values());
            }
            images.keySet().retainAll(present);
        }
    }

    private Path[] modelled()
    {
        return new Path[] { root, blocks, created[0], created[1] };
    }

    private void snapshotCreated()
    {
        syncedCreated.clear();
        for (final Path dir : created)
        {
            if (Files.isDirectory(dir))
            {
                syncedCreated.add(dir);
            }
        }
    }

    private void snapshotDirectory(final Path dir, final Map<String, Object> listing)
    {
        final Map<String, Entry> entries = new HashMap<>();
        for (final Map.Entry<String, Object> entry : listing.entrySet())
        {
            observe(entry.getValue(), kindName(dir.resolve(entry.getKey())));
            entries.put(entry.getKey(), new Entry(entry.getValue(), images.getOrDefault(entry.getValue(),
                new byte[0])));
        }
        synced.put(dir.toAbsolutePath().normalize(), entries);
    }

    /**
     * Cut the power now: write into {@code target} (created, must not exist) what the disk could hold.
     */
    public void cut(final Random random, final Path target)
    {
        synchronized (lock)
        {
            try
            {
                Files.createDirectories(target.resolve("blocks"));
                cutDirectory(random, root, target);
                cutDirectory(random, blocks, target.resolve("blocks"));
                for (final Path dir : created)
                {
                    // A sub-directory created since the root's last sync may be gone, and all in it with it.
                    if (Files.isDirectory(dir) && (syncedCreated.contains(dir) || random.nextBoolean()))
                    {
                        final Path into = target.resolve(dir.getFileName());
                        Files.createDirectories(into);
                        cutDirectory(random, dir, into);
                    }
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    private void cutDirectory(final Random random, final Path dir, final Path target) throws IOException
    {
        final Map<String, Object> current = list(dir);
        current.forEach((name, key) -> observe(key, kindName(dir.resolve(name))));
        final Map<String, Entry> durable = synced.getOrDefault(dir.toAbsolutePath().normalize(), Map.of());
        final TreeSet<String> names = new TreeSet<>(current.keySet());
        names.addAll(durable.keySet());
        int changed = 0;
        for (final String name : names)
        {
            changed += isUnchanged(current.get(name), durable.get(name)) ? 0 : 1;
        }
        int persisted = random.nextInt(changed + 1);
        for (final String name : names)
        {
            final Object now = current.get(name);
            final Entry then = durable.get(name);
            final boolean unchanged = isUnchanged(now, then);
            final boolean persists = !unchanged && persisted-- > 0;
            if (unchanged || (null != now && persists))
            {
                if (!unchanged)
                {
                    entriesKept++;
                }
                final byte[] content = read(dir.resolve(name));
                if (null != content)
                {
                    Files.write(target.resolve(name), scramble(random, images.getOrDefault(now, new byte[0]), content));
                }
            }
            else if (persists)
            {
                entriesKept++; // a deletion or a rename away that reached the disk
            }
            else
            {
                entriesReverted++;
                if (null != then)
                {
                    Files.write(target.resolve(name), then.image());
                }
            }
        }
    }

    /**
     * @return what a file whose last forced image is {@code forced} and whose page-cache content is {@code current}
     * could hold after the power failed.
     */
    byte[] scramble(final Random random, final byte[] forced, final byte[] current)
    {
        final int length = current.length == forced.length || random.nextBoolean() ? current.length : forced.length;
        final byte[] out = new byte[length];
        for (int page = 0; page < length; page += PAGE)
        {
            final int end = Math.min(length, page + PAGE);
            if (rangeEquals(forced, current, page, end))
            {
                copy(current, out, page, end);
                continue;
            }
            switch (random.nextInt(3))
            {
                case 0 ->
                {
                    pagesKept++;
                    copy(current, out, page, end);
                }
                case 1 ->
                {
                    pagesDropped++;
                    copy(forced, out, page, end);
                }
                default ->
                {
                    pagesTorn++;
                    final int split = page + SECTOR * (1 + random.nextInt(PAGE / SECTOR - 1));
                    final boolean newFirst = random.nextBoolean();
                    copy(newFirst ? current : forced, out, page, Math.min(end, split));
                    if (split < end)
                    {
                        copy(newFirst ? forced : current, out, split, end);
                    }
                }
            }
        }
        return out;
    }

    /**
     * @return a "random" source for {@link #cut} that picks the worst outcome everywhere: every unforced page dropped,
     * every changed file back to its forced size, every unsynced directory entry reverted.
     */
    public static Random worstCase()
    {
        return new Random(0)
        {
            private static final long serialVersionUID = 1L;

            @Override
            public int nextInt(final int bound)
            {
                return bound == 3 ? 1 : 0;
            }

            @Override
            public boolean nextBoolean()
            {
                return false;
            }
        };
    }

    public String summary()
    {
        synchronized (lock)
        {
            return "pages kept " + pagesKept + ", dropped " + pagesDropped + ", torn " + pagesTorn +
                "; unsynced directory entries kept " + entriesKept + ", reverted " + entriesReverted;
        }
    }

    /**
     * For a test of the model: run {@code action} once, in a listing of a directory after the next {@code skip}, after
     * it has read the names and before it reads the files' keys, where a rename made by another thread can fall.
     *
     * @param action null to run none.
     */
    void interleaveListing(final int skip, final Runnable action)
    {
        synchronized (lock)
        {
            listingsBeforeInterleaved = skip;
            interleaved = action;
        }
    }

    long pagesTorn()
    {
        return pagesTorn;
    }

    long entriesReverted()
    {
        return entriesReverted;
    }

    /**
     * File keys are inode numbers, which the file system reuses once a file is gone (an old {@code state.db} replaced
     * by a rename, say): a key seen as another kind of file than before belongs to a new file with no forced image.
     */
    private void observe(final Object key, final String name)
    {
        final int dot = name.indexOf('.');
        final String kind = name.contains(".blk") || name.endsWith(".creating") ? "block" :
            dot < 0 ? name : name.substring(0, dot); // state.db.tmp becomes state.db, stream.json.tmp stream.json
        final String previous = kinds.put(key, kind);
        if (null != previous && !previous.equals(kind))
        {
            images.remove(key);
        }
    }

    /**
     * @return the name a file's kind is taken from: a consumer's or cursor's file qualified by its directory, so
     * {@code consumers/a.state} and {@code cursors/a.cursor} are not one kind.
     */
    private String kindName(final Path file)
    {
        final Path parent = file.toAbsolutePath().normalize().getParent();
        for (final Path dir : created)
        {
            if (dir.toAbsolutePath().normalize().equals(parent))
            {
                return dir.getFileName() + "/" + file.getFileName();
            }
        }
        return file.getFileName().toString();
    }

    private static boolean isUnchanged(final Object now, final Entry then)
    {
        return null != now && null != then && now.equals(then.key());
    }

    private static boolean rangeEquals(final byte[] a, final byte[] b, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (byteAt(a, i) != byteAt(b, i))
            {
                return false;
            }
        }
        return true;
    }

    private static void copy(final byte[] from, final byte[] to, final int start, final int end)
    {
        final int available = Math.max(0, Math.min(end, from.length) - start);
        if (available > 0)
        {
            System.arraycopy(from, start, to, start, available);
        }
        // bytes past the source's end stay zero
    }

    private static byte byteAt(final byte[] bytes, final int index)
    {
        return index < bytes.length ? bytes[index] : 0;
    }

    private static Object key(final Path file) throws IOException
    {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    /**
     * @return regular files in {@code dir}, by name, with their file keys. A listing reads the names first (a small
     * directory's in one {@code getdents} call on Linux) and each file's key after, so a file another thread renames
     * in between is under neither name: the directory is then listed again, until no listed name vanished (the engine
     * renames without this model's lock). Left out, a file being renamed would pass for a gone one and
     * {@link #syncDirectory} would forget its forced image: a block renamed from {@code next-<n>.creating} while the
     * flusher synced the directory lost the size its preparation forced, and its next range force rebuilt its image
     * from nothing, cut short at the range's end (a TRUNCATED_FILE no disk could hold: a forced size survives a rename
     * and a directory sync).
     */
    private Map<String, Object> list(final Path dir)
    {
        for (int attempt = 1; ; attempt++)
        {
            final Map<String, Object> listing = listOnce(dir);
            if (null != listing)
            {
                return listing;
            }
            if (attempt == MAX_LISTINGS)
            {
                throw new IllegalStateException("files in " + dir + " vanished from " + MAX_LISTINGS +
                    " listings in a row");
            }
        }
    }

    /**
     * Called under {@link #lock}.
     *
     * @return regular files in {@code dir}, by name, with their file keys; null when a listed name was gone before its
     * key was read (renamed or deleted meanwhile).
     */
    private Map<String, Object> listOnce(final Path dir)
    {
        final Map<String, Object> listing = new HashMap<>();
        if (!Files.isDirectory(dir))
        {
            return listing;
        }
        final List<Path> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir))
        {
            stream.forEach(names::add);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        if (null != interleaved && listingsBeforeInterleaved-- == 0)
        {
            final Runnable action = interleaved;
            interleaved = null;
            action.run();
        }
        for (final Path path : names)
        {
            try
            {
                final BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                if (attributes.isRegularFile())
                {
                    listing.put(path.getFileName().toString(), attributes.fileKey());
                }
            }
            catch (final NoSuchFileException ex)
            {
                return null;
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return listing;
    }

    private static byte[] read(final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void readFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        long at = position;
        while (buffer.hasRemaining())
        {
            final int read = channel.read(buffer, at);
            if (read < 0)
            {
                break;
            }
            at += read;
        }
    }
}
