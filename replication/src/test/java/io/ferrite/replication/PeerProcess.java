package io.ferrite.replication;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A peer in a JVM of its own, for kill tests: {@code PeerProcess DIR PEER_ID GROUP_ID ID=HOST:PORT,...}. Prints
 * {@value #READY} once started; closes cleanly and exits when its standard input says {@value #STOP} or ends.
 */
public final class PeerProcess
{
    static final String READY = "peer ready";
    static final String STOP = "stop";

    private PeerProcess()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final List<ReplicationPeer> peers = new ArrayList<>();
        for (final String peer : args[3].split(","))
        {
            final int equals = peer.indexOf('=');
            peers.add(new ReplicationPeer(peer.substring(0, equals), peer.substring(equals + 1)));
        }
        try (ReplicationNode node = ReplicationNode.builder()
            .directory(Path.of(args[0]))
            .peerId(args[1])
            .groupId(UUID.fromString(args[2]))
            .peers(peers)
            .streamConfig(LocalCluster.streamConfig())
            .start())
        {
            System.out.println(READY + " " + node.peerId());
            System.out.flush();
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while (null != (line = in.readLine()) && !STOP.equals(line.trim()))
            {
                // Wait for the test to stop this peer (or kill it).
            }
        }
        System.exit(0);
    }
}
