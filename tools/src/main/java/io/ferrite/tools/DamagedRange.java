package io.ferrite.tools;

import java.nio.file.Path;
import java.util.Map;

/**
 * Bytes of one file that failed verification, and the sequences that went with them.
 *
 * @param firstSeq {@link #UNKNOWN} when no sequence can be inferred, {@link #NONE} when the damage provably held no
 *                 sequence (valid records on both sides are consecutive).
 * @param lastSeq  {@link #UNKNOWN} when the damage runs to the end of what was written.
 * @param detail   specifics beyond {@link DamageKind#description()}, may be empty.
 */
record DamagedRange(Path file, long fromOffset, long toOffset, long firstSeq, long lastSeq, DamageKind kind,
    String detail)
{
    static final long UNKNOWN = -1;
    static final long NONE = 0;

    String sequences()
    {
        if (firstSeq == UNKNOWN)
        {
            return "unknown";
        }
        if (firstSeq == NONE)
        {
            return "none";
        }
        if (lastSeq == UNKNOWN)
        {
            return firstSeq + "..end";
        }
        return firstSeq == lastSeq ? Long.toString(firstSeq) : firstSeq + ".." + lastSeq;
    }

    String what()
    {
        return detail.isEmpty() ? kind.description() : kind.description() + " (" + detail + ")";
    }

    DamagedRange withSequences(final long first, final long last)
    {
        return new DamagedRange(file, fromOffset, toOffset, first, last, kind, detail);
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("file", file.toString());
        json.put("offset", fromOffset);
        json.put("length", toOffset - fromOffset);
        json.put("firstSeq", firstSeq == UNKNOWN || firstSeq == NONE ? null : firstSeq);
        json.put("lastSeq", firstSeq == UNKNOWN || firstSeq == NONE || lastSeq == UNKNOWN ? null : lastSeq);
        json.put("sequences", sequences());
        json.put("kind", kind.name());
        json.put("what", what());
        return json;
    }
}
