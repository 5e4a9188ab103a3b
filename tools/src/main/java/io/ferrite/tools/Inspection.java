package io.ferrite.tools;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.crypto.BlockKey;
import io.ferrite.engine.state.FullStateReader;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.CorruptFileException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code inspect} reports, gathered from {@code stream.json}, {@code state.db} and one listing of
 * {@code blocks/} — never from records, and without the stream's lock. The cost is the size of {@code state.db}, not
 * of the data: the same rule the engine keeps for state writes. For an encrypted stream it also reads each sealed
 * block's header and its footer (the block file's last 120 bytes): two small reads per block, never a record body.
 * <p>
 * Without the key, an encrypted {@code state.db} yields totals and block entries but not subjects, and footers are
 * shown as they stand, unverified; with it, subjects are opened and footer MACs verified.
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
    /** The footers of an encrypted stream's sealed blocks, by block id; empty for a plaintext stream. */
    final Map<Long, FooterCheck> footers = new HashMap<>();
    /** The key that unlocked an encrypted stream, or null. */
    final StreamKey key;
    /** The named tailers' cursors, by name. */
    final List<CursorSummary> cursors;
    /** The consumers' states, by name. */
    final List<ConsumerSummary> consumers;

    private Inspection(
        final StreamFolder folder, final StreamKey key, final StateSnapshot state, final String stateProblem)
        throws IOException
    {
        this.folder = folder;
        this.key = key;
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
        cursors = CursorSummary.list(folder.root());
        for (final CursorSummary cursor : cursors)
        {
            if (null != cursor.problem())
            {
                problems.add("cursor of tailer '" + cursor.name() + "' is damaged: " + cursor.problem() + " [file=" +
                    cursor.file() + "]; the stream opens, but that tailer does not until deleteTailer(\"" +
                    cursor.name() + "\") starts it again");
            }
        }
        consumers = ConsumerSummary.list(folder.root(), folder.encrypted(), null == key ? null : key.stateCipher());
        for (final ConsumerSummary consumer : consumers)
        {
            if (null != consumer.problem())
            {
                problems.add("state of consumer '" + consumer.name() + "' is damaged: " + consumer.problem() +
                    " [file=" + consumer.file() + "]; the stream opens, but that consumer does not until " +
                    "deleteConsumer(\"" + consumer.name() + "\") starts it again");
            }
        }
        final long[] ids = folder.blockIds();
        if (null != state)
        {
            blocks = new ArrayList<>(state.blockCount());
            for (int i = 0; i < state.blockCount(); i++)
            {
                blocks.add(BlockSummary.of(state, i));
            }
            subjects = state.hasSubjects() ? SubjectSummary.of(state) : null;
            compareWithListing(ids);
            if (folder.encrypted())
            {
                readFooters(ids);
            }
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

    /**
     * @param key the unlocked stream, or null: an encrypted stream is then inspected without decrypting anything.
     */
    static Inspection of(final StreamFolder folder, final StreamKey key) throws IOException
    {
        try
        {
            final StateSnapshot state = FullStateReader.read(folder.stateFile(),
                null == key ? null : key.stateCipher());
            return new Inspection(folder, key, state, null);
        }
        catch (final CorruptFileException ex)
        {
            final Inspection inspection = new Inspection(folder, key, null, ex.getMessage());
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
     * Read the header and footer of every sealed block state.db lists whose file exists, and check the footer: its
     * MAC with the key, and in any case its agreement with state.db's entry.
     */
    private void readFooters(final long[] ids) throws IOException
    {
        final BlockFooterCodec codec = new BlockFooterCodec();
        for (final BlockSummary block : blocks)
        {
            if (block.active() || Arrays.binarySearch(ids, block.id()) < 0)
            {
                continue;
            }
            final Path file = folder.blockFile(block.id());
            // No first sequence to compare: see FooterCheck.Removed.SINCE_FOOTER.
            final FooterCheck footer = readFooter(file, block, codec).against("state.db", new FooterCheck.Expected(
                null, block.lastSeq(), (long)block.msgs(), Integer.toUnsignedLong(block.msgBytes()),
                block.writeOffset(), block.isEmpty() ? null : block.lastChecksum(), FooterCheck.Removed.SINCE_FOOTER));
            footers.put(block.id(), footer);
            if (footer.isProblem())
            {
                problems.add("block " + block.id() + " footer " + (footer.status() == FooterCheck.Status.TAMPERED ?
                    "does not authenticate (TAMPERED)" : "is not usable") + ": " + footer.describe(file) +
                    " — run `ferrite verify " + folder.root() + (null == key ? "" : " --key-file " + key.keyFile()) +
                    "` to check its records");
            }
        }
    }

    private FooterCheck readFooter(final Path file, final BlockSummary block, final BlockFooterCodec codec)
        throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            final ByteBuffer headerBytes = ByteBuffer.allocate(BlockDescriptor.HEADER_LENGTH)
                .order(ByteOrder.LITTLE_ENDIAN);
            while (headerBytes.hasRemaining())
            {
                if (channel.read(headerBytes, headerBytes.position()) < 0)
                {
                    return new FooterCheck(FooterCheck.Status.DAMAGED, 0, null, "the file is " + size + " bytes, " +
                        "shorter than a block header, so its footer cannot be located");
                }
            }
            final BlockHeaderReport header = BlockHeaderReport.of(headerBytes, block.id());
            if (!header.trusted())
            {
                return new FooterCheck(FooterCheck.Status.DAMAGED, header.offset(), null, "its block header does " +
                    "not verify (" + header.problem() + "), so its footer cannot be located");
            }
            if (!header.encrypted())
            {
                return new FooterCheck(FooterCheck.Status.DAMAGED, BlockDescriptor.FLAGS_OFFSET, null, "its header " +
                    "says the block is plaintext but stream.json says the stream is encrypted");
            }
            BlockKey blockKey = null;
            if (null != key)
            {
                blockKey = key.blockKey(header.salt());
                if (blockKey.keyId() != header.keyId())
                {
                    return new FooterCheck(FooterCheck.Status.DAMAGED, BlockDescriptor.KEY_ID_OFFSET, null, "its " +
                        "header names block key " + BlockKey.keyIdHex(header.keyId()) + " but its salt under this " +
                        "stream's key gives " + BlockKey.keyIdHex(blockKey.keyId()) + ": the header was altered or " +
                        "the block belongs to another stream");
                }
            }
            final FooterCheck footer = FooterCheck.read(channel, size, header, block.id(), blockKey, codec);
            return null == footer ? new FooterCheck(FooterCheck.Status.DAMAGED, BlockDescriptor.BLOCK_LENGTH_OFFSET,
                null, "its header declares a length " + header.declaredLength() + " with no room for a footer") :
                footer;
        }
    }

    /** Whether subjects could be read: a plaintext stream, or an encrypted one inspected with its key. */
    boolean subjectsReadable()
    {
        return null != subjects;
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
            totals.put("removed", state.removedCount());
            totals.put("firstTime", state.msgs() == 0 ? null : Units.instant(state.firstTime()));
            totals.put("lastTime", state.lastTime() == 0 ? null : Units.instant(state.lastTime()));
            totals.put("nextBlockId", state.nextBlockId());
            totals.put("stateBytes", stateFileSize);
            json.put("state", totals);
            json.put("subjectCount", state.subjectCount());
            json.put("subjectsSealed", !subjectsReadable());
            json.put("subjects", subjectsReadable() ? subjects.stream().map(SubjectSummary::toJson).toList() : null);
            json.put("keyFile", null == key ? null : key.keyFile().toString());
            json.put("blocks", blocks.stream().map((block) ->
            {
                final Map<String, Object> entry = block.toJson(folder.encrypted());
                final FooterCheck footer = footers.get(block.id());
                entry.put("footer", null == footer ? null : footer.toJson());
                return entry;
            }).toList());
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
        json.put("cursors", cursors.stream().map(CursorSummary::toJson).toList());
        json.put("consumers", consumers.stream().map(ConsumerSummary::toJson).toList());
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
