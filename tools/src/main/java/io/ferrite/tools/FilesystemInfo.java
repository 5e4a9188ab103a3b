package io.ferrite.tools;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The filesystem under a directory: type, device, space, and whether it is a network filesystem — where fsync means
 * a round trip to a server and mmap coherence is the client's best effort.
 */
record FilesystemInfo(String type, String device, long usableBytes, long totalBytes, boolean network)
{
    /**
     * Types (as {@link FileStore#type()} reports them on Linux, from /proc/mounts) that go over the network. FUSE
     * types are matched by their suffix, e.g. {@code fuse.sshfs}.
     */
    static final Set<String> NETWORK_TYPES = Set.of(
        "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "sshfs", "9p", "afs", "ceph", "glusterfs", "lustre",
        "gpfs", "beegfs", "ocfs2", "gfs2", "davfs", "s3fs", "gcsfuse", "rclone", "juicefs", "moosefs", "orangefs");

    static FilesystemInfo of(final Path dir) throws IOException
    {
        final FileStore store = Files.getFileStore(dir);
        return new FilesystemInfo(store.type(), store.name(), store.getUsableSpace(), store.getTotalSpace(),
            isNetwork(store.type()));
    }

    static boolean isNetwork(final String type)
    {
        final String lower = type.toLowerCase(Locale.ROOT);
        final String base = lower.startsWith("fuse.") ? lower.substring("fuse.".length()) : lower;
        return NETWORK_TYPES.contains(base);
    }

    double usableFraction()
    {
        return totalBytes == 0 ? 0 : usableBytes / (double)totalBytes;
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("type", type);
        json.put("device", device);
        json.put("network", network);
        json.put("usableBytes", usableBytes);
        json.put("totalBytes", totalBytes);
        return json;
    }
}
