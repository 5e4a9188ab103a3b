package io.ferrite.metrics;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.memory.MemoryStreamStore;
import io.ferrite.store.StoreMetricNames;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A stream's MXBean read as a JMX console reads it: attributes through the platform MBean server.
 */
class StreamMBeansTest
{
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();
    private static final byte[] PAYLOAD = new byte[100];

    @TempDir
    Path dir;

    private static StreamConfig config(final String name)
    {
        return StreamConfig.builder(name).blockSize(4096).maxMsgSize(512).syncMode(SyncMode.INTERVAL).build();
    }

    private static void append(final StreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("jmx.a", null, PAYLOAD);
        }
    }

    @Test
    void attributesAreReadThroughThePlatformServerAndCloseUnregisters() throws Exception
    {
        try (StreamStore store = FileStreamStore.open(dir, config("jmx-orders")))
        {
            final ObjectName name;
            try (StreamMBeanRegistration registration = StreamMBeans.register(store, "jmx-orders"))
            {
                name = registration.objectName();
                assertThat(name).isEqualTo(new ObjectName("io.ferrite:type=Stream,name=jmx-orders"));
                assertThat(SERVER.isRegistered(name)).isTrue();
                assertThat(SERVER.getAttribute(name, "StreamName")).isEqualTo("jmx-orders");

                append(store, 128);
                assertThat(store.remove(128)).isTrue();
                store.flush().join();
                assertThat(SERVER.getAttribute(name, "LastSeq")).isEqualTo(128L);
                assertThat(SERVER.getAttribute(name, "Messages")).isEqualTo(127L);
                assertThat(SERVER.getAttribute(name, "DurableSeq")).isEqualTo(128L);
                assertThat(SERVER.getAttribute(name, "Bytes")).isEqualTo(store.state().bytes());
                assertThat((Long)SERVER.getAttribute(name, "BlocksCreated")).isPositive();

                final CompositeData[] latencies = (CompositeData[])SERVER.getAttribute(name, "Latencies");
                final CompositeData append = find(latencies, StoreMetricNames.APPEND);
                assertThat(append.get("count")).as("128 appends, one in 64 timed").isEqualTo(2L);
                assertThat(append.get("totalCount")).isEqualTo(2L);
                assertThat((Long)append.get("p99")).isPositive();
                final CompositeData again = find((CompositeData[])SERVER.getAttribute(name, "Latencies"),
                    StoreMetricNames.APPEND);
                assertThat(again.get("count")).as("nothing since the previous read").isEqualTo(0L);
                assertThat(again.get("totalCount")).isEqualTo(2L);
                assertThat(store.stats().intervalHistogram(StoreMetricNames.APPEND).getTotalCount())
                    .as("the bean's reads took nothing from stats()").isEqualTo(2);

                final StreamStatsMXBean proxy = JMX.newMXBeanProxy(SERVER, name, StreamStatsMXBean.class);
                assertThat(proxy.getLastSeq()).isEqualTo(128);
                final List<LatencySummary> summaries = proxy.getLatencies();
                assertThat(summaries).extracting(LatencySummary::getName).contains(StoreMetricNames.APPEND,
                    "flush.force");
            }
            assertThat(SERVER.isRegistered(name)).as("closing the registration unregisters").isFalse();
        }
    }

    @Test
    void aSecondRegistrationOfTheSameStreamIsAClearError() throws Exception
    {
        try (StreamStore store = MemoryStreamStore.create(config("jmx-twice"));
            StreamMBeanRegistration registration = StreamMBeans.register(store, "jmx-twice"))
        {
            assertThatThrownBy(() -> StreamMBeans.register(store, "jmx-twice"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("io.ferrite:type=Stream,name=jmx-twice")
                .hasMessageContaining("already registered");
            append(store, 3);
            registration.close();
            registration.close();
            try (StreamMBeanRegistration again = StreamMBeans.register(store, "jmx-twice"))
            {
                assertThat(SERVER.getAttribute(again.objectName(), "LastSeq")).isEqualTo(3L);
                assertThat((CompositeData[])SERVER.getAttribute(again.objectName(), "Latencies"))
                    .as("the memory store times nothing").isEmpty();
            }
        }
    }

    @Test
    void aNameWithReservedCharactersIsQuoted() throws Exception
    {
        final ObjectName name = StreamMBeans.objectName("a,b=c");
        assertThat(name.getKeyProperty("name")).isEqualTo("\"a,b=c\"");
        assertThat(ObjectName.unquote(name.getKeyProperty("name"))).isEqualTo("a,b=c");
        assertThat(StreamMBeans.objectName("orders").getKeyProperty("name")).isEqualTo("orders");
        assertThatThrownBy(() -> StreamMBeans.objectName("")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("streamName");
    }

    private static CompositeData find(final CompositeData[] latencies, final String metric)
    {
        for (final CompositeData latency : latencies)
        {
            if (metric.equals(latency.get("name")))
            {
                return latency;
            }
        }
        throw new AssertionError("no latency named " + metric);
    }
}
