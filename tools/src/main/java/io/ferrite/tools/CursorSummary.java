package io.ferrite.tools;

import io.ferrite.format.CursorDescriptor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One named tailer's cursor as {@code inspect} shows it, read through {@link CursorDescriptor} as the engine reads it:
 * the newest slot that verifies, or why neither does.
 *
 * @param name     the tailer's name.
 * @param file     the cursor file.
 * @param ackedSeq the last sequence acknowledged durably, or -1 when the file is damaged.
 * @param problem  what is wrong with the file, or null.
 */
record CursorSummary(String name, Path file, long ackedSeq, String problem)
{
    /**
     * @return the cursors under {@code root}'s {@code cursors/}, by name; none when the directory is absent.
     */
    static List<CursorSummary> list(final Path root) throws IOException
    {
        final Path dir = root.resolve(CursorDescriptor.DIRECTORY);
        final List<CursorSummary> cursors = new ArrayList<>();
        if (!Files.isDirectory(dir))
        {
            return cursors;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir))
        {
            for (final Path file : stream)
            {
                final String name = CursorDescriptor.nameOf(file.getFileName().toString());
                if (null != name)
                {
                    cursors.add(of(name, file));
                }
            }
        }
        cursors.sort(Comparator.comparing(CursorSummary::name));
        return cursors;
    }

    private static CursorSummary of(final String name, final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != CursorDescriptor.FILE_LENGTH)
        {
            return new CursorSummary(name, file, -1, "the file is " + bytes.length + " bytes long, not " +
                CursorDescriptor.FILE_LENGTH);
        }
        final int slot = CursorDescriptor.newestSlot(bytes);
        if (slot < 0)
        {
            return new CursorSummary(name, file, -1, "neither slot verifies (slot 0: " +
                CursorDescriptor.describe(CursorDescriptor.checkSlot(bytes, 0)) + ", slot 1: " +
                CursorDescriptor.describe(CursorDescriptor.checkSlot(bytes, CursorDescriptor.SLOT_LENGTH)) + ")");
        }
        return new CursorSummary(name, file, CursorDescriptor.ackedSeq(bytes, slot), null);
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("name", name);
        json.put("file", file.toString());
        json.put("ackedSeq", problem == null ? ackedSeq : null);
        json.put("problem", problem);
        return json;
    }
}
