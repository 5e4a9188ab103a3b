package io.ferrite.tools;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The outcome of verifying a stream.
 */
record VerifyReport(
    StreamFolder folder, List<BlockCheck> blocks, List<DamagedRange> damaged, String stateNote, long bytes,
    long elapsedNanos)
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

    long messages()
    {
        return blocks.stream().mapToLong(BlockCheck::messages).sum();
    }

    long skips()
    {
        return blocks.stream().mapToLong(BlockCheck::skips).sum();
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
        json.put("ok", ok());
        json.put("blockFiles", blocks.size());
        json.put("bytes", bytes);
        json.put("messages", messages());
        json.put("skips", skips());
        json.put("firstSeq", firstSeq() == 0 ? null : firstSeq());
        json.put("lastSeq", firstSeq() == 0 ? null : lastSeq());
        json.put("elapsedMillis", elapsedNanos / 1_000_000);
        json.put("state", stateNote);
        json.put("damaged", damaged.stream().map(DamagedRange::toJson).toList());
        json.put("blocks", blocks.stream().map(BlockCheck::toJson).toList());
        return json;
    }
}
