package io.ferrite.tools;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code verify} found in one block file.
 *
 * @param tombstones tombstones whose checksums verified (and, with the key, that authenticated).
 * @param erased   messages {@code erase} overwrote on purpose: their bodies cannot verify, and are not damage.
 * @param firstSeq the first valid message or skip's sequence, 0 when none verified.
 * @param validEnd where the last valid record ends.
 * @param damages  damaged ranges found in this file.
 * @param authenticated messages whose body authenticated (encrypted stream with its key), else 0.
 * @param footer   the footer of an encrypted block, or null (plaintext, or the newest block without one).
 */
record BlockCheck(
    Path file, long id, long fileBytes, long messages, long skips, long tombstones, long erased, long firstSeq,
    long lastSeq, long validEnd, int damages, long authenticated, FooterCheck.Status footer)
{
    long records()
    {
        return messages + skips + tombstones + erased;
    }

    /**
     * @return this check once the whole stream is scanned: {@code erased} of its unreadable messages were erased on
     * purpose, {@code damaged} more are damage.
     */
    BlockCheck resolved(final long erased, final int damaged)
    {
        return new BlockCheck(file, id, fileBytes, messages, skips, tombstones, this.erased + erased, firstSeq, lastSeq,
            validEnd, damages + damaged, authenticated, footer);
    }

    String sequences()
    {
        return firstSeq == 0 ? "-" : firstSeq + ".." + lastSeq;
    }

    String footerLabel()
    {
        return null == footer ? "-" : footer.label();
    }

    String status()
    {
        return damages == 0 ? "ok" : "DAMAGED (" + damages + ")";
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("file", file.toString());
        json.put("id", id);
        json.put("bytes", fileBytes);
        json.put("messages", messages);
        json.put("skips", skips);
        json.put("tombstones", tombstones);
        json.put("erased", erased);
        json.put("firstSeq", firstSeq == 0 ? null : firstSeq);
        json.put("lastSeq", firstSeq == 0 ? null : lastSeq);
        json.put("validEnd", validEnd);
        json.put("damages", damages);
        json.put("authenticated", authenticated);
        json.put("footer", null == footer ? null : footer.name().toLowerCase(Locale.ROOT));
        json.put("ok", damages == 0);
        return json;
    }
}
