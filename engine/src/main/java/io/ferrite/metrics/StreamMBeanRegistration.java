package io.ferrite.metrics;

import javax.management.InstanceNotFoundException;
import javax.management.MBeanRegistrationException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A stream's MXBean as registered by {@link StreamMBeans#register}: closing it unregisters the bean. Close it when the
 * stream is closed, or a later registration of the same stream name is refused.
 * <p>
 * Threading: {@link #close()} is idempotent and may be called from any thread.
 */
public final class StreamMBeanRegistration implements AutoCloseable
{
    private final MBeanServer server;
    private final ObjectName name;
    private boolean closed;

    StreamMBeanRegistration(final MBeanServer server, final ObjectName name)
    {
        this.server = server;
        this.name = name;
    }

    /**
     * @return the name the bean is registered under, {@code io.ferrite:type=Stream,name=<stream>}.
     */
    public ObjectName objectName()
    {
        return name;
    }

    /**
     * Unregister the bean. A bean someone else already unregistered is not an error.
     *
     * @throws IllegalStateException when the MBean server refuses to unregister it.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            server.unregisterMBean(name);
        }
        catch (final InstanceNotFoundException ex)
        {
            // Unregistered behind our back (a test, a container tearing the server down): the goal is met.
        }
        catch (final MBeanRegistrationException ex)
        {
            throw new IllegalStateException("unregister MBean " + name + " failed", ex);
        }
    }
}
