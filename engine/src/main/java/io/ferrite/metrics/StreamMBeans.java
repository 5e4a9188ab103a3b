package io.ferrite.metrics;

import io.ferrite.store.StreamStore;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import java.lang.management.ManagementFactory;
import java.util.Objects;

/**
 * Registers a stream's {@link StreamStatsMXBean} with an MBean server, under
 * {@code io.ferrite:type=Stream,name=<stream>} (the name quoted when it holds a character an object name reserves).
 * <pre>
 * try (StreamMBeanRegistration jmx = StreamMBeans.register(store, "orders"))
 * {
 *     ...
 * }
 * </pre>
 */
public final class StreamMBeans
{
    /** The JMX domain of Ferrite's beans. */
    public static final String DOMAIN = "io.ferrite";

    private StreamMBeans()
    {
    }

    /**
     * Register on the platform MBean server ({@link ManagementFactory#getPlatformMBeanServer()}).
     *
     * @see #register(MBeanServer, StreamStore, String)
     */
    public static StreamMBeanRegistration register(final StreamStore store, final String streamName)
    {
        return register(ManagementFactory.getPlatformMBeanServer(), store, streamName);
    }

    /**
     * @param server     where to register.
     * @param store      the stream whose counters and histograms the bean reads.
     * @param streamName the {@code name} key of the object name.
     * @return the registration; closing it unregisters the bean.
     * @throws IllegalStateException    when a bean of that name is already registered (the same stream registered
     *                                  twice, or an earlier registration never closed).
     * @throws IllegalArgumentException when {@code streamName} is empty.
     */
    public static StreamMBeanRegistration register(
        final MBeanServer server, final StreamStore store, final String streamName)
    {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(store, "store");
        final ObjectName name = objectName(streamName);
        try
        {
            server.registerMBean(new StandardMBean(new StreamStatsBean(store, streamName), StreamStatsMXBean.class,
                true), name);
        }
        catch (final InstanceAlreadyExistsException ex)
        {
            throw new IllegalStateException("an MBean named " + name + " is already registered: stream '" +
                streamName + "' is registered twice, or an earlier registration was never closed", ex);
        }
        catch (final JMException ex)
        {
            throw new IllegalStateException("register MBean " + name + " failed", ex);
        }
        return new StreamMBeanRegistration(server, name);
    }

    /**
     * @return {@code io.ferrite:type=Stream,name=<streamName>}, the name quoted when it holds {@code , = : " * ?},
     * a backslash or a line break.
     * @throws IllegalArgumentException when {@code streamName} is null or empty.
     */
    public static ObjectName objectName(final String streamName)
    {
        if (null == streamName || streamName.isEmpty())
        {
            throw new IllegalArgumentException("streamName must be a non-empty string, was " +
                (null == streamName ? "null" : "empty"));
        }
        final String value = needsQuoting(streamName) ? ObjectName.quote(streamName) : streamName;
        try
        {
            return new ObjectName(DOMAIN + ":type=Stream,name=" + value);
        }
        catch (final MalformedObjectNameException ex)
        {
            throw new IllegalArgumentException("stream name '" + streamName + "' makes no valid JMX object name", ex);
        }
    }

    private static boolean needsQuoting(final String value)
    {
        for (int i = 0; i < value.length(); i++)
        {
            switch (value.charAt(i))
            {
                case ',', '=', ':', '"', '*', '?', '\\', '\n' ->
                {
                    return true;
                }
                default ->
                {
                }
            }
        }
        return false;
    }
}
