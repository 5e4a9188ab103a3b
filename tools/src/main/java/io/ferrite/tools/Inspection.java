package io.ferrite.tools;

import io.ferrite.state.FullStateReader;
import io.ferrite.state.StateSnapshot;
import io.ferrite.store.CorruptFileException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code inspect} reports, gathered from {@code stream.json}, {@code state.db} and one listing of
 * {@code blocks/} — never from block contents, and without the stream's lock. The cost is the size of
 * {@code state.db}, not of the data: the same rule the engine keeps for state writes.
 */
final class Inspection
{
    private static final List<String> CONFIG_ORDER = List.of("format", "name", "blockSize", "maxMsgSize", "encrypted");

    final StreamFolder folder;
    /** Null when state.db is missing or unusable. */
    final StateSnapshot state;
    final long stateFileSize;
    final long stateFileModifiedMillis;
    /** Why state.db could not be used, or null. */
    final String stateProblem;
    final List<BlockSummary> blocks;
    final List<SubjectSummary> subjects;
    /** Block files in blocks/ that state.db does not list: written after the last state write. */
    final List<String> newerBlockFiles = new ArrayList<>();
    /** Things an operator must act on; each makes the exit code 1. */
    final List<String> problems = new ArrayList<>();
    /** Block files by name and size, listed when state.db cannot describe them. */
    final Map<String, Long> blockFileSizes = new TreeMap<>();

    private Inspection(final StreamFolder folder, final StateSnapshot state, final String stateProblem)
        throws IOException
    {
        this.folder = folder;
        this.state = state;
        this.stateProblem = stateProblem;
        final Path stateFile = folder.stateFile();
        if (Files.exists(stateFile))
        {
            final BasicFileAttributes attributes = Files.readAttributes(stateFile, BasicFileAttributes.class);
            stateFileSize = attributes.size();
            stateFileModifiedMillis = attributes.lastModifiedTime().toMillis();
        }
        else
        {
            stateFileSize = -1;
            stateFileModifiedMillis = 0;
        }
        final long[] ids = folder.blockIds();
        if (null != state)
        {
            blocks = new ArrayList<>(state.blockCount());
            for (int i = 0; i < state.blockCount(); i++)
            {
                blocks.add(BlockSummary.of(state, i));
            }
            subjects = SubjectSummary.of(state);
            compareWithListing(ids);
        }
        else
        {
            blocks = List.of();
            subjects = List.of();
            for (final long id : ids)
            {
                blockFileSizes.put(StreamFolder.blockFileName(id), Files.size(folder.blockFile(id)));
            }
        }
    }

    static Inspection of(final StreamFolder folder) throws IOException
    {
        try
        {
            final StateSnapshot state = FullStateReader.read(folder.stateFile());
            return new Inspection(folder, state, null);
        }
        catch (final CorruptFileException ex)
        {
            final Inspection inspection = new Inspection(folder, null, ex.getMessage());
            inspection.problems.add("state.db is unusable (" + ex.getMessage() + "); opening the stream will rebuild " +
                "its state by scanning every block — run `ferrite verify " + folder.root() + "` first");
            return inspection;
        }
    }

    private void compareWithListing(final long[] ids)
    {
        final long[] listed = new long[blocks.size()];
        for (int i = 0; i < listed.length; i++)
        {
            listed[i] = blocks.get(i).id();
            if (Arrays.binarySearch(ids, listed[i]) < 0)
            {
                problems.add("state.db lists block " + listed[i] + " but " + folder.blockFile(listed[i]) +
                    " is missing — its messages cannot be read; restore the file from a backup or replica");
            }
        }
        Arrays.sort(listed);
        for (final long id : ids)
        {
            if (Arrays.binarySearch(listed, id) < 0)
            {
                newerBlockFiles.add(StreamFolder.blockFileName(id));
            }
        }
    }

    /**
     * @return stream.json's fields, the known ones first in a fixed order.
     */
    Map<String, String> config()
    {
        final Map<String, String> fields = folder.metadata().fields();
        final Map<String, String> ordered = new LinkedHashMap<>();
        for (final String key : CONFIG_ORDER)
        {
            if (fields.containsKey(key))
            {
                ordered.put(key, fields.get(key));
            }
        }
        new TreeMap<>(fields).forEach(ordered::putIfAbsent);
        return ordered;
    }

    long deleted()
    {
        return state.msgs() == 0 ? 0 : state.lastSeq() - state.firstSeq() + 1 - state.msgs();
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("directory", folder.root().toString());
        final Map<String, Object> config = Json.object();
        config().forEach((key, value) -> config.put(key, jsonValue(value)));
        json.put("config", config);
        json.put("stateFile", stateFileSize < 0 ? null : folder.stateFile().toString());
        json.put("stateProblem", stateProblem);
        if (null != state)
        {
            final Map<String, Object> totals = Json.object();
            totals.put("msgs", state.msgs());
            totals.put("bytes", state.bytes());
            totals.put("firstSeq", state.firstSeq());
            totals.put("lastSeq", state.lastSeq());
            totals.put("deleted", deleted());
            totals.put("firstTime", state.msgs() == 0 ? null : Units.instant(state.firstTime()));
            totals.put("lastTime", state.lastTime() == 0 ? null : Units.instant(state.lastTime()));
            totals.put("nextBlockId", state.nextBlockId());
            totals.put("stateBytes", stateFileSize);
            json.put("state", totals);
            json.put("subjects", subjects.stream().map(SubjectSummary::toJson).toList());
            json.put("blocks", blocks.stream().map((block) -> block.toJson(folder.encrypted())).toList());
            json.put("newerBlockFiles", newerBlockFiles);
        }
        else
        {
            json.put("state", null);
            final List<Object> files = new ArrayList<>();
            blockFileSizes.forEach((name, size) ->
            {
                final Map<String, Object> file = Json.object();
                file.put("file", name);
                file.put("bytes", size);
                files.add(file);
            });
            json.put("blockFiles", files);
        }
        json.put("problems", problems);
        return json;
    }

    private static Object jsonValue(final String value)
    {
        if (value.matches("-?[0-9]{1,18}"))
        {
            return Long.parseLong(value);
        }
        if (value.equals("true") || value.equals("false"))
        {
            return Boolean.parseBoolean(value);
        }
        return value;
    }
}
