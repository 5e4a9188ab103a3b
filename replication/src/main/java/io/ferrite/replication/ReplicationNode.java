package io.ferrite.replication;

import io.ferrite.store.StreamConfig;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One peer of a replicated stream: a Ratis server for the group, whose state machine is the Ferrite stream in this
 * peer's directory, and a client for the stream ({@link #stream()}).
 * <p>
 * The Raft log is Ratis's own segmented log, under {@code raft/} in the peer's directory (see docs/REPLICATION.md for
 * why); the stream is the state machine, snapshotted every {@link Builder#snapshotThreshold} entries, after which
 * Ratis purges the log up to the snapshot.
 */
public final class ReplicationNode implements AutoCloseable
{
    /** Entries between automatic snapshots. Each snapshot copies the whole stream, so not too often. */
    public static final long SNAPSHOT_THRESHOLD_DEFAULT = 400_000;
    /** Raft log segment size; only closed segments can be purged after a snapshot. */
    public static final SizeInBytes SEGMENT_SIZE_DEFAULT = SizeInBytes.valueOf("8MB");
    /** How long a client keeps retrying a write across leader changes before it fails the future. */
    public static final int CLIENT_RETRIES_DEFAULT = 300;
    public static final TimeDuration CLIENT_RETRY_SLEEP = TimeDuration.valueOf(100, TimeUnit.MILLISECONDS);
    /**
     * How long a message id given to {@code ReplicatedStream.appendOnce} keeps a resend from being stored again, by
     * the leader's clock: two minutes, as JetStream's default duplicate window; long enough for a client to give up
     * (30 s of retries by default) and resend, short enough that the ids held in memory and in snapshots stay few.
     */
    public static final Duration DUPLICATE_WINDOW_DEFAULT = Duration.ofMinutes(2);

    private final RaftPeerId peerId;
    private final RaftGroup group;
    private final FerriteStateMachine stateMachine;
    private final RaftServer server;
    private final RaftClient client;
    private final ReplicatedStream stream;

    private ReplicationNode(final Builder builder)
    {
        ReplicationPeer.requireDistinct(builder.peers);
        final ReplicationPeer self = builder.peers.stream()
            .filter(peer -> peer.id().equals(builder.peerId))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException(
                "peer '" + builder.peerId + "' is not in the group's peer list " + builder.peers));
        final NodeDirectory directory =
            NodeDirectory.claim(builder.directory, builder.groupId.toString(), builder.peerId);

        this.peerId = RaftPeerId.valueOf(builder.peerId);
        this.group = group(builder.groupId, builder.peers);
        final RaftProperties properties = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(properties, List.of(directory.raftDir().toFile()));
        GrpcConfigKeys.Server.setPort(properties, self.port());
        RaftServerConfigKeys.Read.setOption(properties, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, builder.snapshotThreshold);
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, 2);
        RaftServerConfigKeys.Log.setSegmentSizeMax(properties, builder.segmentSize);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(properties, builder.purgeLogUpToSnapshot);
        if (builder.purgeLogUpToSnapshot)
        {
            RaftServerConfigKeys.Log.setPurgeGap(properties, 1);
        }

        builder.raftProperties.forEach(properties::set);

        this.stateMachine = new FerriteStateMachine(directory, builder.streamConfig);
        final RaftStorage.StartupOption option = directory.raftStorageExists() ?
            RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT;
        try
        {
            this.server = RaftServer.newBuilder()
                .setServerId(peerId)
                .setGroup(group)
                .setProperties(properties)
                .setStateMachine(stateMachine)
                .setOption(option)
                .build();
            server.start();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start peer " + builder.peerId + " of group " + builder.groupId +
                " in " + builder.directory, ex);
        }
        this.client = newClient(group, builder.clientRetries);
        this.stream = new ReplicatedStream(client, stateMachine, builder.duplicateWindow);
    }

    static RaftGroup group(final UUID groupId, final List<ReplicationPeer> peers)
    {
        final List<RaftPeer> raftPeers = new ArrayList<>(peers.size());
        for (final ReplicationPeer peer : peers)
        {
            raftPeers.add(RaftPeer.newBuilder().setId(peer.id()).setAddress(peer.address()).build());
        }
        return RaftGroup.valueOf(RaftGroupId.valueOf(groupId), raftPeers);
    }

    static RaftClient newClient(final RaftGroup group, final int retries)
    {
        return RaftClient.newBuilder()
            .setProperties(new RaftProperties())
            .setRaftGroup(group)
            .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(retries, CLIENT_RETRY_SLEEP))
            .build();
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return the stream as this peer sees it: writes go to the group, reads come from this peer.
     */
    public ReplicatedStream stream()
    {
        return stream;
    }

    public String peerId()
    {
        return peerId.toString();
    }

    /**
     * @return whether this peer is the group's leader now.
     */
    public boolean isLeader()
    {
        return info().isLeader();
    }

    /**
     * @return the id of the leader this peer knows of, or null when it knows none.
     */
    public String leaderId()
    {
        final RaftPeerId leader = info().getLeaderId();
        return null == leader ? null : leader.toString();
    }

    /**
     * Take a snapshot of this peer now (the log up to it may then be purged).
     *
     * @return the log index the snapshot covers.
     */
    public long takeSnapshot(final long timeoutMillis)
    {
        try
        {
            final var reply = client.getSnapshotManagementApi(peerId).create(true, timeoutMillis);
            if (!reply.isSuccess())
            {
                throw new IllegalStateException("snapshot of peer " + peerId + " failed", reply.getException());
            }
            return reply.getLogIndex();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("snapshot of peer " + peerId + " failed", ex);
        }
    }

    /** For tests that cut this peer off the network ({@code getServerRpc().close()}) or submit to it directly. */
    RaftServer raftServer()
    {
        return server;
    }

    FerriteStateMachine stateMachine()
    {
        return stateMachine;
    }

    /**
     * @return how many snapshots the leader sent this peer since it started: a peer that fell behind a purged log
     * catches up by one.
     */
    public int snapshotsInstalled()
    {
        return stateMachine.snapshotsInstalled();
    }

    private DivisionInfo info()
    {
        try
        {
            return server.getDivision(group.getGroupId()).getInfo();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("peer " + peerId + " has no division for group " + group.getGroupId(), ex);
        }
    }

    /**
     * Stop the client and the Raft server; the server closes the state machine and with it the stream.
     */
    @Override
    public void close()
    {
        IOException failure = null;
        try
        {
            client.close();
        }
        catch (final IOException ex)
        {
            failure = ex;
        }
        try
        {
            server.close();
        }
        catch (final IOException ex)
        {
            if (null == failure)
            {
                failure = ex;
            }
            else
            {
                failure.addSuppressed(ex);
            }
        }
        if (null != failure)
        {
            throw new UncheckedIOException("closing peer " + peerId, failure);
        }
    }

    /**
     * What a peer needs: its directory, its id, the group id and the peer list every peer is given alike, and the
     * stream's configuration.
     */
    public static final class Builder
    {
        private Path directory;
        private String peerId;
        private UUID groupId;
        private List<ReplicationPeer> peers;
        private StreamConfig streamConfig;
        private long snapshotThreshold = SNAPSHOT_THRESHOLD_DEFAULT;
        private SizeInBytes segmentSize = SEGMENT_SIZE_DEFAULT;
        private boolean purgeLogUpToSnapshot = true;
        private int clientRetries = CLIENT_RETRIES_DEFAULT;
        private Duration duplicateWindow = DUPLICATE_WINDOW_DEFAULT;
        private final Map<String, String> raftProperties = new LinkedHashMap<>();

        private Builder()
        {
        }

        /** The peer's directory ({@link NodeDirectory}); created at the first start. */
        public Builder directory(final Path directory)
        {
            this.directory = directory;
            return this;
        }

        public Builder peerId(final String peerId)
        {
            this.peerId = peerId;
            return this;
        }

        public Builder groupId(final UUID groupId)
        {
            this.groupId = groupId;
            return this;
        }

        /** Every peer of the group, this one included, the same list on every peer. */
        public Builder peers(final List<ReplicationPeer> peers)
        {
            this.peers = List.copyOf(peers);
            return this;
        }

        /** The stream's configuration; the same name on every peer. */
        public Builder streamConfig(final StreamConfig streamConfig)
        {
            this.streamConfig = streamConfig;
            return this;
        }

        /** Log entries between automatic snapshots, at least 1. */
        public Builder snapshotThreshold(final long entries)
        {
            if (entries < 1)
            {
                throw new IllegalArgumentException("snapshotThreshold must be >= 1: " + entries);
            }
            this.snapshotThreshold = entries;
            return this;
        }

        /** Raft log segment size: small segments let a snapshot purge the log sooner. */
        public Builder segmentSize(final SizeInBytes segmentSize)
        {
            this.segmentSize = Objects.requireNonNull(segmentSize, "segmentSize");
            return this;
        }

        /**
         * Whether a snapshot lets Ratis purge the log up to it even when a follower still needs those entries (it is
         * then sent the snapshot instead). Default true: a dead follower must not make the log grow without bound.
         */
        public Builder purgeLogUpToSnapshot(final boolean purge)
        {
            this.purgeLogUpToSnapshot = purge;
            return this;
        }

        /** How many times (100 ms apart) a write is retried across leader changes before its future fails. */
        public Builder clientRetries(final int retries)
        {
            this.clientRetries = retries;
            return this;
        }

        /**
         * The duplicate window of this peer's {@code ReplicatedStream.appendOnce}. It travels in each command, so
         * peers given different windows still decide alike.
         */
        public Builder duplicateWindow(final Duration window)
        {
            Objects.requireNonNull(window, "duplicateWindow");
            if (window.isNegative())
            {
                throw new IllegalArgumentException("duplicateWindow must not be negative: " + window);
            }
            this.duplicateWindow = window;
            return this;
        }

        /**
         * Set one of Ratis's server settings by its documented key ({@code RaftServerConfigKeys},
         * {@code GrpcConfigKeys}, e.g. {@code raft.server.log.force.sync.num}), after this class's own settings, so it
         * can override them. For tuning and tests; the keys this class sets itself are listed in docs/REPLICATION.md.
         */
        public Builder raftProperty(final String key, final String value)
        {
            raftProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Start the peer.
         *
         * @throws IllegalArgumentException naming the argument, when one is missing or the peer list has duplicates or
         *                                  lacks this peer.
         * @throws IllegalStateException    naming the directory and both groups, when the directory belongs to another
         *                                  group or peer; nothing in it is changed.
         */
        public ReplicationNode start()
        {
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(peerId, "peerId");
            Objects.requireNonNull(groupId, "groupId");
            Objects.requireNonNull(peers, "peers");
            Objects.requireNonNull(streamConfig, "streamConfig");
            return new ReplicationNode(this);
        }
    }
}
