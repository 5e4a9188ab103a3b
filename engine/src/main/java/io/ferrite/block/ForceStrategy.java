package io.ferrite.block;

/**
 * Which call makes mapped writes durable. Linux's page cache is unified: fsync/fdatasync on the file writes back the
 * pages dirtied through a shared mapping as well, and measured about 5x faster than msync here. POSIX does not promise
 * that, so elsewhere the mapping itself is forced.
 */
final class ForceStrategy
{
    static final boolean CHANNEL_COVERS_MAPPING =
        System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");

    private ForceStrategy()
    {
    }
}
