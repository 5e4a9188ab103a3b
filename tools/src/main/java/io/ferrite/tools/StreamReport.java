package io.ferrite.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Map;

/**
 * What {@code doctor} says about the stream in the directory: block files and their sizes (from a listing and a
 * stat each; no block is read), state.db, and encryption.
 */
record StreamReport(String name, boolean encrypted, int blockFiles, long blockBytes, long smallestBlock,
    long largestBlock, long blockSize, long stateBytes)
{
    static StreamReport of(final StreamFolder folder) throws IOException
    {
        final long[] ids = folder.blockIds();
        long total = 0;
        long smallest = Long.MAX_VALUE;
        long largest = 0;
        for (final long id : ids)
        {
            final long size = Files.size(folder.blockFile(id));
            total += size;
            smallest = Math.min(smallest, size);
            largest = Math.max(largest, size);
        }
        final long stateBytes = Files.exists(folder.stateFile()) ? Files.size(folder.stateFile()) : -1;
        return new StreamReport(folder.name(), folder.encrypted(), ids.length, total, ids.length == 0 ? 0 : smallest,
            largest, folder.metadata().blockSize(), stateBytes);
    }

    void print(final PrintWriter out)
    {
        out.println("stream " + name);
        out.println("  blocks      " + blockFiles + " file(s), " + Units.bytes(blockBytes) + (blockFiles == 0 ? "" :
            smallestBlock == largestBlock ? ", " + Units.bytes(largestBlock) + " each" :
            ", " + Units.bytes(smallestBlock) + " to " + Units.bytes(largestBlock)) + " (configured block size " +
            Units.bytes(blockSize) + ")");
        out.println("  state.db    " + (stateBytes < 0 ? "missing (not closed cleanly since it was created, or open)" :
            Units.bytes(stateBytes)));
        out.println("  encryption  " + (encrypted ? "encrypted (stream.json): AES-256-GCM per record, stream key " +
            "wrapped in stream.key" : "none (stream.json says \"encrypted\": false)"));
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("name", name);
        json.put("encrypted", encrypted);
        json.put("blockFiles", blockFiles);
        json.put("blockBytes", blockBytes);
        json.put("smallestBlockBytes", smallestBlock);
        json.put("largestBlockBytes", largestBlock);
        json.put("blockSize", blockSize);
        json.put("stateBytes", stateBytes < 0 ? null : stateBytes);
        return json;
    }
}
