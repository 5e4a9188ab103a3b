package io.ferrite.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Ports for servers the benchmarks start on loopback: whatever the kernel hands out, never a fixed one.
 */
final class LoopbackPorts
{
    private LoopbackPorts()
    {
    }

    /**
     * @return a port free on loopback a moment ago (the caller binds it next).
     */
    static int free()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
