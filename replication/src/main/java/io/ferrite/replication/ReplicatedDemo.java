package io.ferrite.replication;

import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * {@code ferrite demo --replicated [DIR] [--messages N]}: three peers of one replicated stream on loopback in this
 * JVM. Appends, kills the leader in the middle, shows a new leader taking over and the stream carrying on, restarts
 * the old leader and shows it catching up, then compares the three streams message by message.
 * <p>
 * A main class of its own, in this module, so the ferrite command line does not carry Ratis and gRPC; the
 * {@code ferrite} script sends {@code demo --replicated} here.
 */
public final class ReplicatedDemo
{
    static final int PEERS = 3;
    static final long MESSAGES_DEFAULT = 20_000;
    static final int PAYLOAD_SIZE = 128;
    static final int IN_FLIGHT = 256;
    static final long WAIT_SECONDS = 60;

    private final PrintStream out;
    private final Path root;
    private final long messages;
    private final List<ReplicationPeer> peers = new ArrayList<>();
    private final UUID groupId = UUID.randomUUID();
    private final ReplicationNode[] nodes = new ReplicationNode[PEERS];

    ReplicatedDemo(final PrintStream out, final Path root, final long messages)
    {
        this.out = out;
        this.root = root;
        this.messages = messages;
    }

    public static void main(final String[] args) throws Exception
    {
        // Ratis logs every election at INFO and each retried request as an error; the demo prints what matters.
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.ratis", "off");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        // Three streams on one disk report every slow force; the demo's own lines say how long things took.
        System.setProperty("org.slf4j.simpleLogger.log.io.ferrite.engine", "error");
        Path dir = null;
        long messages = MESSAGES_DEFAULT;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--replicated":
                    break;
                case "--messages":
                    if (i + 1 == args.length)
                    {
                        usage("--messages needs a count");
                    }
                    messages = Long.parseLong(args[++i]);
                    break;
                case "-h":
                case "--help":
                    usage(null);
                    break;
                default:
                    if (args[i].startsWith("-") || null != dir)
                    {
                        usage("unknown argument: " + args[i]);
                    }
                    dir = Path.of(args[i]);
            }
        }
        if (messages < 10)
        {
            usage("--messages must be at least 10: " + messages);
        }
        final Path root = null == dir ? Files.createTempDirectory("ferrite-replicated-demo-") : dir;
        new ReplicatedDemo(System.out, root, messages).run();
    }

    private static void usage(final String problem)
    {
        final PrintStream stream = null == problem ? System.out : System.err;
        if (null != problem)
        {
            stream.println("ferrite demo --replicated: " + problem);
        }
        stream.println("usage: ferrite demo --replicated [DIR] [--messages N]");
        stream.println("  Three peers of one replicated stream on loopback: append N messages (default " +
            MESSAGES_DEFAULT + "), kill the leader half way, restart it, compare the three streams.");
        System.exit(null == problem ? 0 : 2);
    }

    void run() throws Exception
    {
        for (int i = 0; i < PEERS; i++)
        {
            peers.add(new ReplicationPeer("n" + (i + 1), "127.0.0.1:" + freePort()));
        }
        out.println("group    " + groupId + ", peers " + peers);
        out.println("dir      " + root);
        try
        {
            for (int i = 0; i < PEERS; i++)
            {
                start(i);
            }
            final int leader = awaitLeader();
            out.println("leader   " + nodes[leader].peerId());
            final int client = (leader + 1) % PEERS;
            final ReplicatedStream stream = nodes[client].stream();
            out.println("client   appends through " + nodes[client].peerId() + " (a follower)");

            final long half = messages / 2;
            long started = System.nanoTime();
            appendAll(stream, 0, half);
            report("appended", half, started);

            final long killed = System.nanoTime();
            final String oldLeader = nodes[leader].peerId();
            nodes[leader].close();
            nodes[leader] = null;
            out.println("killed   leader " + oldLeader);
            final int newLeader = awaitLeader();
            out.printf("elected  %s after %d ms%n", nodes[newLeader].peerId(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));

            started = System.nanoTime();
            appendAll(stream, half, messages);
            report("appended", messages - half, started);
            out.println("         the stream carried on with 2 of 3 peers: last sequence " +
                stream.lastSeqLinearizable().get(WAIT_SECONDS, TimeUnit.SECONDS));

            started = System.nanoTime();
            start(leader);
            await(() -> nodes[leader].stream().lastSeq() >= messages);
            out.printf("rejoined %s caught up to sequence %d in %d ms%n", oldLeader, messages,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            for (final ReplicationNode node : nodes)
            {
                await(() -> node.stream().lastSeq() >= messages);
            }
            compare();
        }
        finally
        {
            for (int i = 0; i < PEERS; i++)
            {
                if (null != nodes[i])
                {
                    nodes[i].close();
                }
            }
        }
    }

    private void start(final int i)
    {
        nodes[i] = ReplicationNode.builder()
            .directory(root.resolve(peers.get(i).id()))
            .peerId(peers.get(i).id())
            .groupId(groupId)
            .peers(peers)
            .streamConfig(StreamConfig.builder("demo").blockSize(8 << 20).maxMsgSize(64 << 10).build())
            .start();
    }

    private void appendAll(final ReplicatedStream stream, final long from, final long to) throws Exception
    {
        final List<CompletableFuture<Long>> window = new ArrayList<>(IN_FLIGHT);
        final byte[] payload = new byte[PAYLOAD_SIZE];
        for (long i = from; i < to; i++)
        {
            final byte[] tag = Long.toString(i).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(tag, 0, payload, 0, tag.length);
            window.add(stream.append("demo.orders", null, payload.clone()));
            if (window.size() == IN_FLIGHT)
            {
                drain(window);
            }
        }
        drain(window);
    }

    private static void drain(final List<CompletableFuture<Long>> window) throws Exception
    {
        for (final CompletableFuture<Long> ack : window)
        {
            ack.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        window.clear();
    }

    private void report(final String what, final long count, final long startedNanos)
    {
        final double seconds = (System.nanoTime() - startedNanos) / 1e9;
        out.printf("%-8s %,d messages of %d B in %.2f s: %,.0f msg/s (acknowledged by a majority, %d in flight)%n",
            what, count, PAYLOAD_SIZE, seconds, count / seconds, IN_FLIGHT);
    }

    private void compare()
    {
        long differences = 0;
        for (long seq = 1; seq <= messages; seq++)
        {
            final StoredMessage reference = nodes[0].stream().load(seq);
            for (int i = 1; i < PEERS; i++)
            {
                final StoredMessage other = nodes[i].stream().load(seq);
                if (null == reference || !reference.equals(other))
                {
                    differences++;
                }
            }
        }
        out.printf("compared %,d sequences on %d peers (sequence, time, subject, headers, payload): %s%n",
            messages, PEERS, 0 == differences ? "identical" : differences + " differences");
        if (0 != differences)
        {
            throw new IllegalStateException("the peers' streams differ in " + differences + " places");
        }
    }

    private int awaitLeader()
    {
        final int[] leader = {-1};
        await(() ->
        {
            for (int i = 0; i < PEERS; i++)
            {
                if (null != nodes[i] && nodes[i].isLeader())
                {
                    leader[0] = i;
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    private static void await(final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("gave up after " + WAIT_SECONDS + " s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
