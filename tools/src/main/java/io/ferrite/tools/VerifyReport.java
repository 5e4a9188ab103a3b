package io.ferrite.tools;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of verifying a stream.
 *
 * @param removals what the stream's tombstones removed and erased.
 * @param keyFile the key file that unlocked an encrypted stream, or null when its tags and footers were not
 *                authenticated (plaintext, or no key given).
 */
record VerifyReport(
    StreamFolder folder, Path keyFile, List<BlockCheck> blocks, List<DamagedRange> damaged, Removals.Summary removals,
    String stateNote, long bytes, long elapsedNanos)
{
    VerifyReport
    {
        damaged = damaged.stream()
            .sorted(Comparator.comparing((DamagedRange range) -> range.file().toString())
                .thenComparingLong(DamagedRange::fromOffset))
            .toList();
    }

    boolean ok()
    {
        return damaged.isEmpty();
    }

    /** Whether record tags and footer MACs were checked: an encrypted stream verified with its key. */
    boolean authenticated()
    {
        return null != keyFile;
    }

    long messages()
    {
        return blocks.stream().mapToLong(BlockCheck::messages).sum();
    }

    long skips()
    {
        return blocks.stream().mapToLong(BlockCheck::skips).sum();
    }

    long tombstones()
    {
        return blocks.stream().mapToLong(BlockCheck::tombstones).sum();
    }

    long erased()
    {
        return blocks.stream().mapToLong(BlockCheck::erased).sum();
    }

    long records()
    {
        return blocks.stream().mapToLong(BlockCheck::records).sum();
    }

    long authenticatedMessages()
    {
        return blocks.stream().mapToLong(BlockCheck::authenticated).sum();
    }

    long footers(final FooterCheck.Status status)
    {
        return blocks.stream().filter((block) -> block.footer() == status).count();
    }

    long firstSeq()
    {
        return blocks.stream().mapToLong(BlockCheck::firstSeq).filter((seq) -> seq > 0).min().orElse(0);
    }

    long lastSeq()
    {
        return blocks.stream().mapToLong(BlockCheck::lastSeq).max().orElse(0);
    }

    long damagedBlocks()
    {
        return blocks.stream().filter((block) -> block.damages() > 0).count();
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("directory", folder.root().toString());
        json.put("stream", folder.name());
        json.put("encrypted", folder.encrypted());
        json.put("keyFile", null == keyFile ? null : keyFile.toString());
        json.put("tagsChecked", authenticated());
        json.put("ok", ok());
        json.put("blockFiles", blocks.size());
        json.put("bytes", bytes);
        json.put("messages", messages());
        json.put("skips", skips());
        json.put("tombstones", tombstones());
        json.put("erased", erased());
        json.put("removals", removals.toJson());
        json.put("authenticatedMessages", authenticated() ? authenticatedMessages() : null);
        if (folder.encrypted())
        {
            final Map<String, Object> footers = Json.object();
            for (final FooterCheck.Status status : FooterCheck.Status.values())
            {
                footers.put(status.name().toLowerCase(Locale.ROOT), footers(status));
            }
            json.put("footers", footers);
        }
        json.put("firstSeq", firstSeq() == 0 ? null : firstSeq());
        json.put("lastSeq", firstSeq() == 0 ? null : lastSeq());
        json.put("elapsedMillis", elapsedNanos / 1_000_000);
        json.put("state", stateNote);
        json.put("damaged", damaged.stream().map(DamagedRange::toJson).toList());
        json.put("blocks", blocks.stream().map(BlockCheck::toJson).toList());
        return json;
    }
}
