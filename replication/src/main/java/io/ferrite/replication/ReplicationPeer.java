package io.ferrite.replication;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A member of a replication group: its id, unique in the group, and the {@code host:port} its Raft server listens on.
 *
 * @param id      letters, digits, '-', '_' or '.', e.g. {@code n1}.
 * @param address {@code host:port}, unique in the group.
 */
public record ReplicationPeer(String id, String address)
{
    public ReplicationPeer
    {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        if (id.isEmpty() || !id.matches("[A-Za-z0-9._-]+"))
        {
            throw new IllegalArgumentException("peer id must be letters, digits, '.', '_' or '-': '" + id + "'");
        }
        final int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1)
        {
            throw new IllegalArgumentException("peer " + id + ": address must be host:port: '" + address + "'");
        }
        final int port = parsePort(id, address, colon);
        if (port < 1 || port > 65535)
        {
            throw new IllegalArgumentException("peer " + id + ": port out of range 1..65535: '" + address + "'");
        }
    }

    private static int parsePort(final String id, final String address, final int colon)
    {
        try
        {
            return Integer.parseInt(address.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("peer " + id + ": port is not a number: '" + address + "'", ex);
        }
    }

    /**
     * @return the port of {@link #address()}.
     */
    public int port()
    {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    /**
     * Check a group's peer list.
     *
     * @throws IllegalArgumentException naming the peers, when the list is empty or two peers share an id or an address.
     */
    public static void requireDistinct(final List<ReplicationPeer> peers)
    {
        if (peers.isEmpty())
        {
            throw new IllegalArgumentException("a replication group needs at least one peer");
        }
        final Set<String> ids = new HashSet<>();
        final Set<String> addresses = new HashSet<>();
        for (final ReplicationPeer peer : peers)
        {
            if (!ids.add(peer.id()))
            {
                throw new IllegalArgumentException("duplicate peer id '" + peer.id() + "' in " + peers);
            }
            if (!addresses.add(peer.address()))
            {
                throw new IllegalArgumentException(
                    "duplicate peer address '" + peer.address() + "' (peer " + peer.id() + ") in " + peers);
            }
        }
    }
}
