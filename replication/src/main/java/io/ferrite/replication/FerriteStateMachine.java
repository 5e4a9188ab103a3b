package io.ferrite.replication;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.Discard;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamStore;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

import static io.ferrite.replication.ReplicationCommandDescriptor.APPEND;
import static io.ferrite.replication.ReplicationCommandDescriptor.APPEND_DATA_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.APPEND_ONCE;
import static io.ferrite.replication.ReplicationCommandDescriptor.APPEND_ONCE_DATA_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.COMPACT;
import static io.ferrite.replication.ReplicationCommandDescriptor.ERASE;
import static io.ferrite.replication.ReplicationCommandDescriptor.BODY_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.FILTER_LENGTH_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.FILTER_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.HEADERS_LENGTH_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.LIMITS_LENGTH;
import static io.ferrite.replication.ReplicationCommandDescriptor.MAX_MSGS_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.MESSAGE_ID_LENGTH_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.PAYLOAD_LENGTH_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.PURGE;
import static io.ferrite.replication.ReplicationCommandDescriptor.PURGE_UP_TO;
import static io.ferrite.replication.ReplicationCommandDescriptor.QUERY_LAST_SEQ;
import static io.ferrite.replication.ReplicationCommandDescriptor.REMOVE;
import static io.ferrite.replication.ReplicationCommandDescriptor.REMOVE_LENGTH;
import static io.ferrite.replication.ReplicationCommandDescriptor.REMOVE_SEQ_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.SKIP;
import static io.ferrite.replication.ReplicationCommandDescriptor.STATUS_OK;
import static io.ferrite.replication.ReplicationCommandDescriptor.STATUS_REJECTED;
import static io.ferrite.replication.ReplicationCommandDescriptor.SUBJECT_LENGTH_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.TIMESTAMP_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.TRUNCATE;
import static io.ferrite.replication.ReplicationCommandDescriptor.TYPE_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.UPDATE_LIMITS;
import static io.ferrite.replication.ReplicationCommandDescriptor.UP_TO_FILTER_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.UP_TO_SEQ_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.WINDOW_OFFSET;

/**
 * Applies a Ferrite stream's committed Raft log to the local stream, identically on every peer.
 * <p>
 * Sequence and time are assigned once. The leader stamps each command with its clock in {@link #startTransaction};
 * the sequence of an append is the state machine's last sequence plus one, in the order of the committed log, so
 * every peer computes the same one, and a new leader cannot hand out a sequence an entry of the old term already
 * took. Applied with {@code appendAt}, every peer stores the same sequence, time, subject, headers and payload.
 * Timestamps are made non-decreasing here ({@code max(stamped, last)}), because two leaders' clocks may disagree.
 * <p>
 * Restart: Ratis replays the log from the last snapshot on. The stream may be ahead of the replay (everything applied
 * before the restart that reached the disk) or behind it (a tail the stream lost in a power cut, under a sync mode
 * other than {@code ALWAYS}); an append whose sequence the stream already holds is passed over, the rest are applied
 * again. Removals are bounded by the sequence reached at their log position, so replaying one removes nothing
 * appended after it; limit changes replayed while the stream is still ahead are applied only once the replay catches
 * up with it, so an old tight limit never trims what a later, looser one kept.
 * <p>
 * Snapshots hold the state above ({@link ReplicationSnapshotDescriptor}) and the whole stream
 * ({@code StreamStore.snapshot}); a follower too far behind for the leader's log gets it installed by Ratis and
 * restores its stream from it ({@code FileStreamStore.restore}) in {@link #reinitialize()}.
 * <p>
 * Threading: Ratis calls {@link #applyTransaction}, {@link #takeSnapshot} and {@link #reinitialize} from its one
 * state machine updater thread, and this class applies synchronously on it, so a snapshot always sees a stream that
 * matches the last applied index. {@link #startTransaction} and {@link #query} run on Ratis's request threads and
 * touch only volatile fields.
 */
public final class FerriteStateMachine extends BaseStateMachine
{
    /** How long a snapshot waits for the stream's force before it gives up (and Ratis retries later). */
    static final long SNAPSHOT_FLUSH_TIMEOUT_SECONDS = 60;

    /** Ratis's "no index" (RaftLog.INVALID_LOG_INDEX), without reaching into its server internals. */
    private static final long INVALID_INDEX = -1;

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final NodeDirectory directory;
    private final StreamConfig config;

    /** Readers of {@link #store} hold it shared; replacing the stream from a snapshot holds it exclusively. */
    private final ReentrantReadWriteLock storeLock = new ReentrantReadWriteLock();
    private volatile StreamStore store;
    private volatile long lastSeq;
    private long lastTimestamp;
    private StreamLimits limits;
    private boolean limitsInForce;
    private volatile int snapshotsInstalled;
    private final MessageIdWindow messageIds = new MessageIdWindow();
    /**
     * The time of the stream's last message, tracked here (this class is the stream's only writer): an append whose
     * time is before it can only meet a stream that already holds history from after a later truncate (see
     * {@link #applyAppend}).
     */
    private long streamLastTime;

    /**
     * @param directory the peer's directory; the stream lives in its {@link NodeDirectory#streamDir()}.
     * @param config    the stream's configuration, the same name on every peer; its limits are the initial ones.
     * @throws IllegalArgumentException when the limits discard new messages: whether a peer refuses an append would
     *                                  then depend on its own clock (age retention), and peers would diverge.
     */
    public FerriteStateMachine(final NodeDirectory directory, final StreamConfig config)
    {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.config = Objects.requireNonNull(config, "config");
        requireReplicable(config.limits());
        this.limits = config.limits();
    }

    static void requireReplicable(final StreamLimits limits)
    {
        if (limits.discard() == Discard.NEW && limits.any())
        {
            throw new IllegalArgumentException("a replicated stream's limits must discard OLD messages: with " +
                "Discard.NEW a peer's refusal would depend on its own retention by age, and peers would diverge: " +
                limits);
        }
    }

    @Override
    public StateMachineStorage getStateMachineStorage()
    {
        return storage;
    }

    @Override
    public void initialize(final RaftServer server, final RaftGroupId groupId, final RaftStorage raftStorage)
        throws IOException
    {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        directory.recoverInterruptedInstall();
        store = FileStreamStore.open(directory.streamDir(), config);
        streamLastTime = store.state().lastTime();
        limitsInForce = store.limits().equals(limits);
        loadSnapshot(storage.loadLatestSnapshot(), directory.installPending());
        directory.clearInstallPending();
        getLifeCycle().transition(LifeCycle.State.STARTING);
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    /**
     * Ratis pauses the state machine before it installs a snapshot from the leader. The marker written here makes a
     * restart after a crash mid-install restore the stream from the installed snapshot even when the stream holds its
     * last sequence already (removals made since would be missing otherwise).
     */
    @Override
    public void pause()
    {
        directory.markInstallPending();
        if (getLifeCycleState() == LifeCycle.State.RUNNING)
        {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    @Override
    public void reinitialize() throws IOException
    {
        loadSnapshot(storage.loadLatestSnapshot(), true);
        directory.clearInstallPending();
        if (getLifeCycleState() == LifeCycle.State.PAUSED)
        {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    /**
     * Take up the state of {@code snapshot} when it is ahead of what this peer applied, and restore the stream from it
     * when the stream is behind it, or always when {@code installed} (the snapshot came from the leader: this peer's
     * stream may hold the snapshot's last sequence and still miss removals made before it).
     */
    private void loadSnapshot(final SingleFileSnapshotInfo snapshot, final boolean installed) throws IOException
    {
        if (null == snapshot)
        {
            return;
        }
        final TermIndex applied = getLastAppliedTermIndex();
        if (null != applied && applied.getIndex() >= snapshot.getIndex())
        {
            return;
        }
        final Path file = snapshot.getFile().getPath();
        final MD5Hash md5 = snapshot.getFile().getFileDigest();
        if (null != md5)
        {
            MD5FileUtil.verifySavedMD5(file.toFile(), md5);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer header =
                ByteBuffer.allocate(ReplicationSnapshotDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining())
            {
                if (channel.read(header) < 0)
                {
                    throw new IOException("replicated snapshot cut short in its header: " + file);
                }
            }
            ReplicationSnapshotDescriptor.verify(header, file);
            final ByteBuffer section = ByteBuffer.allocate(
                header.getInt(ReplicationSnapshotDescriptor.MESSAGE_ID_SECTION_LENGTH_OFFSET));
            while (section.hasRemaining())
            {
                if (channel.read(section) < 0)
                {
                    throw new IOException("replicated snapshot cut short in its message id section: " + file);
                }
            }
            final long snapshotSeq = header.getLong(ReplicationSnapshotDescriptor.LAST_SEQ_OFFSET);
            if (installed || store.lastSeq() < snapshotSeq)
            {
                replaceStream(channel, file);
            }
            if (section.capacity() > 0)
            {
                messageIds.decode(section.flip(), file);
            }
            else
            {
                messageIds.clear();
            }
            lastSeq = snapshotSeq;
            lastTimestamp = header.getLong(ReplicationSnapshotDescriptor.LAST_TIMESTAMP_OFFSET);
            limits = ReplicationCommandDescriptor.getLimits(header, ReplicationSnapshotDescriptor.LIMITS_OFFSET);
            limitsInForce = store.limits().equals(limits);
            applyLimitsOnceCaughtUp();
            updateLastAppliedTermIndex(snapshot.getTermIndex());
        }
    }

    /**
     * Replace the stream by the one in the snapshot: the old one moves aside, the restore publishes the new one
     * atomically (it writes a temporary sibling and renames it), and only then is the old one deleted. A crash in
     * between leaves the old one to put back ({@link NodeDirectory#recoverInterruptedInstall()}) and this step to
     * repeat.
     */
    private void replaceStream(final FileChannel snapshot, final Path file) throws IOException
    {
        final long behind = store.lastSeq();
        storeLock.writeLock().lock();
        try
        {
            store.close();
            Files.move(directory.streamDir(), directory.oldStreamDir(), StandardCopyOption.ATOMIC_MOVE);
            NodeDirectory.forceDirectory(directory.root());
            store = FileStreamStore.restore(directory.streamDir(), snapshot, config);
            streamLastTime = store.state().lastTime();
            snapshotsInstalled++;
        }
        finally
        {
            storeLock.writeLock().unlock();
        }
        NodeDirectory.deleteTree(directory.oldStreamDir());
        LOG.info("{}: stream at {} restored from snapshot {} (it was at sequence {}, now {})",
            getId(), directory.streamDir(), file, behind, store.lastSeq());
    }

    @Override
    public long takeSnapshot() throws IOException
    {
        final TermIndex applied = getLastAppliedTermIndex();
        if (null == applied || applied.getIndex() < 0)
        {
            return INVALID_INDEX;
        }
        // The log up to this index may be purged once this returns: the stream must hold it durably by then.
        try
        {
            store.flush().get(SNAPSHOT_FLUSH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            throw new IOException("cannot force stream " + directory.streamDir() + " before a snapshot", ex);
        }
        final Path file = storage.getSnapshotFile(applied.getTerm(), applied.getIndex()).toPath();
        final Path temp = file.resolveSibling(file.getFileName() + ".writing");
        try (FileChannel channel = FileChannel.open(
            temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))
        {
            final ByteBuffer section = messageIds.encode();
            final ByteBuffer header = ReplicationSnapshotDescriptor.encode(
                applied.getTerm(), applied.getIndex(), lastSeq, lastTimestamp, limits, section.remaining());
            while (header.hasRemaining())
            {
                channel.write(header);
            }
            while (section.hasRemaining())
            {
                channel.write(section);
            }
            store.snapshot(channel);
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        NodeDirectory.forceDirectory(file.getParent());
        final MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file.toFile());
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file, md5), applied));
        return applied.getIndex();
    }

    @Override
    public TransactionContext startTransaction(final RaftClientRequest request) throws IOException
    {
        final ByteString content = request.getMessage().getContent();
        final byte[] command = content.toByteArray();
        final TransactionContext.Builder builder = TransactionContext.newBuilder()
            .setStateMachine(this)
            .setClientRequest(request);
        if (command.length < BODY_OFFSET)
        {
            final TransactionContext refused = builder.build();
            refused.setException(new IllegalArgumentException("command of " + command.length + " bytes, below the " +
                BODY_OFFSET + "-byte header"));
            return refused;
        }
        final Instant now = Instant.now();
        ReplicationCommandDescriptor.wrap(command)
            .putLong(TIMESTAMP_OFFSET, now.getEpochSecond() * 1_000_000_000L + now.getNano());
        return builder.setLogData(UnsafeByteOperations.unsafeWrap(command)).build();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(final TransactionContext trx)
    {
        final LogEntryProto entry = trx.getLogEntry();
        final ByteBuffer command = entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer()
            .order(ByteOrder.LITTLE_ENDIAN);
        final byte[] reply = apply(command.slice().order(ByteOrder.LITTLE_ENDIAN));
        updateLastAppliedTermIndex(TermIndex.valueOf(entry));
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(reply)));
    }

    /**
     * Apply one command. Refusals that every peer reaches alike (a malformed command, a subject the stream rejects)
     * are replies; an I/O failure of the stream is thrown, which stops this peer's Raft server rather than let its
     * stream diverge from the others'.
     */
    private byte[] apply(final ByteBuffer command)
    {
        byte[] reply;
        try
        {
            reply = applyCommand(command);
        }
        catch (final IllegalArgumentException | LimitExceededException ex)
        {
            reply = rejected(ex.getMessage());
        }
        applyLimitsOnceCaughtUp();
        return reply;
    }

    private byte[] applyCommand(final ByteBuffer command)
    {
        if (command.limit() < BODY_OFFSET)
        {
            return rejected("command of " + command.limit() + " bytes");
        }
        switch (command.getInt(TYPE_OFFSET))
        {
            case APPEND:
                return applyAppend(command, command.getLong(TIMESTAMP_OFFSET));
            case APPEND_ONCE:
                return applyAppendOnce(command, command.getLong(TIMESTAMP_OFFSET));
            case REMOVE:
                return applyRemove(command);
            case ERASE:
                return applyErase(command);
            case COMPACT:
                return applyCompact(command);
            case TRUNCATE:
                return applyTruncate(command);
            case SKIP:
                return applySkip(command);
            case PURGE:
                return applyPurge(command);
            case PURGE_UP_TO:
                return applyPurgeUpTo(command);
            case UPDATE_LIMITS:
                return applyUpdateLimits(command);
            default:
                return rejected("unknown command type " + command.getInt(TYPE_OFFSET));
        }
    }

    private byte[] applyAppend(final ByteBuffer command, final long stamped)
    {
        if (command.limit() < APPEND_DATA_OFFSET)
        {
            return rejected("append of " + command.limit() + " bytes");
        }
        return ok(append(command, APPEND_DATA_OFFSET, Math.max(stamped, lastTimestamp)));
    }

    /**
     * An append under a message id: answered with the first sequence when the id was stored within its window (by the
     * log's time), else stored and the id recorded until {@code time + window}.
     */
    private byte[] applyAppendOnce(final ByteBuffer command, final long stamped)
    {
        if (command.limit() < APPEND_ONCE_DATA_OFFSET)
        {
            return rejected("append of " + command.limit() + " bytes");
        }
        final long timestamp = Math.max(stamped, lastTimestamp);
        final long window = command.getLong(WINDOW_OFFSET);
        if (window < 0)
        {
            return rejected("duplicate window negative: " + window);
        }
        final int idOffset = APPEND_ONCE_DATA_OFFSET + command.getInt(SUBJECT_LENGTH_OFFSET) +
            command.getInt(HEADERS_LENGTH_OFFSET) + command.getInt(PAYLOAD_LENGTH_OFFSET);
        final String id = ReplicationCommandDescriptor.getString(
            command, idOffset, command.getInt(MESSAGE_ID_LENGTH_OFFSET));
        messageIds.expire(timestamp);
        final long first = messageIds.sequenceOf(id, timestamp);
        if (first != 0)
        {
            return ok(first);
        }
        final long seq = append(command, APPEND_ONCE_DATA_OFFSET, timestamp);
        messageIds.record(id, seq, timestamp > Long.MAX_VALUE - window ? Long.MAX_VALUE : timestamp + window);
        return ok(seq);
    }

    /**
     * Store the message of an APPEND or APPEND_ONCE whose subject starts at {@code dataOffset} at the next sequence.
     * <p>
     * A replay after a restart meets a stream that may be ahead of it. An append whose sequence the stream already
     * holds is passed over. So is one whose time is before the stream's last message: the stream then holds history
     * from after a later truncate in the log (the truncate took sequences back and later appends reused them, with
     * later times); the replay reaches that truncate, which cuts the stream back, and the appends after it are stored
     * again, so the stream ends as on every other peer.
     *
     * @return the sequence.
     */
    private long append(final ByteBuffer command, final int dataOffset, final long timestamp)
    {
        final int subjectLength = command.getInt(SUBJECT_LENGTH_OFFSET);
        final int headersLength = command.getInt(HEADERS_LENGTH_OFFSET);
        final int payloadLength = command.getInt(PAYLOAD_LENGTH_OFFSET);
        final String subject = ReplicationCommandDescriptor.getString(command, dataOffset, subjectLength);
        final byte[] headers = 0 == headersLength ? null :
            ReplicationCommandDescriptor.getBytes(command, dataOffset + subjectLength, headersLength);
        final byte[] payload = ReplicationCommandDescriptor.getBytes(
            command, dataOffset + subjectLength + headersLength, payloadLength);
        final long seq = lastSeq + 1;
        if (seq > store.lastSeq() && timestamp >= streamLastTime)
        {
            store.appendAt(seq, timestamp, subject, headers, payload);
            streamLastTime = timestamp;
        }
        lastTimestamp = timestamp;
        lastSeq = seq;
        return seq;
    }

    private byte[] applyRemove(final ByteBuffer command)
    {
        if (command.limit() < REMOVE_LENGTH)
        {
            return rejected("remove of " + command.limit() + " bytes");
        }
        final long seq = command.getLong(REMOVE_SEQ_OFFSET);
        // A sequence not assigned yet at this log position removes nothing, even when a replay finds it stored.
        final boolean removed = seq >= 1 && seq <= lastSeq && store.remove(seq);
        return ok(removed ? 1 : 0);
    }

    private byte[] applyErase(final ByteBuffer command)
    {
        if (command.limit() < REMOVE_LENGTH)
        {
            return rejected("erase of " + command.limit() + " bytes");
        }
        final long seq = command.getLong(REMOVE_SEQ_OFFSET);
        // As a removal: a sequence not assigned yet at this log position is not touched.
        final boolean erased = seq >= 1 && seq <= lastSeq && store.erase(seq);
        return ok(erased ? 1 : 0);
    }

    /**
     * Remove every message below {@code seq}. Replay-safe unbounded: every message appended after this entry has a
     * sequence of at least {@code seq}. A {@code seq} past the next sequence moves the sequence on, as on one store.
     */
    private byte[] applyCompact(final ByteBuffer command)
    {
        if (command.limit() < REMOVE_LENGTH)
        {
            return rejected("compact of " + command.limit() + " bytes");
        }
        final long seq = command.getLong(REMOVE_SEQ_OFFSET);
        if (seq < 1 || seq > RecordDescriptor.MAX_SEQUENCE + 1)
        {
            return rejected("compact sequence must be in [1, 2^62]: " + seq);
        }
        final long removed = store.compact(seq);
        lastSeq = Math.max(lastSeq, seq - 1);
        return ok(removed);
    }

    /**
     * Remove every message above {@code seq}; the next append gets {@code seq + 1} on every peer. Deterministic:
     * refused alike on every peer when {@code seq} is past the last sequence at this log position.
     */
    private byte[] applyTruncate(final ByteBuffer command)
    {
        if (command.limit() < REMOVE_LENGTH)
        {
            return rejected("truncate of " + command.limit() + " bytes");
        }
        final long seq = command.getLong(REMOVE_SEQ_OFFSET);
        if (seq < 0 || seq > lastSeq)
        {
            return rejected("truncate sequence must be in [0, " + lastSeq + "] (the last sequence): " + seq);
        }
        if (store.lastSeq() > seq)
        {
            store.truncate(seq);
            streamLastTime = store.state().lastTime();
        }
        lastSeq = seq;
        messageIds.forgetAbove(seq);
        return ok(0);
    }

    /**
     * Reserve {@code count} sequences without messages.
     *
     * @return the last sequence reserved.
     */
    private byte[] applySkip(final ByteBuffer command)
    {
        if (command.limit() < REMOVE_LENGTH)
        {
            return rejected("skip of " + command.limit() + " bytes");
        }
        final long count = command.getLong(REMOVE_SEQ_OFFSET);
        if (count < 1 || lastSeq + count > RecordDescriptor.MAX_SEQUENCE)
        {
            return rejected("skip count must be at least 1 and end at most at 2^62 - 1: " + count);
        }
        final long last = lastSeq + count;
        if (store.lastSeq() < last)
        {
            final long from = store.lastSeq() + 1;
            store.skip(from, last - from + 1);
        }
        lastSeq = last;
        return ok(last);
    }

    private byte[] applyPurge(final ByteBuffer command)
    {
        if (command.limit() < FILTER_OFFSET)
        {
            return rejected("purge of " + command.limit() + " bytes");
        }
        final String filter = ReplicationCommandDescriptor.getString(
            command, FILTER_OFFSET, command.getInt(FILTER_LENGTH_OFFSET));
        // Bounded by the sequence reached here, so a replay removes nothing appended after this entry.
        return ok(store.purge(filter, lastSeq + 1, 0));
    }

    /**
     * A purge below a sequence. No {@code keep} count is offered: which messages are the newest to keep depends on
     * removals made after this entry, and a replay over a stream that is ahead would keep others.
     */
    private byte[] applyPurgeUpTo(final ByteBuffer command)
    {
        if (command.limit() < UP_TO_FILTER_OFFSET)
        {
            return rejected("purge of " + command.limit() + " bytes");
        }
        final long upTo = command.getLong(UP_TO_SEQ_OFFSET);
        if (upTo < 0)
        {
            return rejected("purge upToSeq must not be negative: " + upTo);
        }
        final String filter = ReplicationCommandDescriptor.getString(
            command, UP_TO_FILTER_OFFSET, command.getInt(FILTER_LENGTH_OFFSET));
        return ok(store.purge(filter, 0 == upTo ? lastSeq + 1 : Math.min(upTo, lastSeq + 1), 0));
    }

        private byte[] applyUpdateLimits(final ByteBuffer command)
    {
        if (command.limit() < LIMITS_LENGTH)
        {
            return rejected("limits of " + command.limit() + " bytes");
        }
        final StreamLimits requested = ReplicationCommandDescriptor.getLimits(command, MAX_MSGS_OFFSET);
        requireReplicable(requested);
        limits = requested;
        limitsInForce = false;
        return ok(0);
    }

    /** Hand the replicated limits to the stream, unless a replay is still behind the stream (see the class doc). */
    private void applyLimitsOnceCaughtUp()
    {
        if (!limitsInForce && lastSeq >= store.lastSeq())
        {
            store.updateLimits(limits);
            limitsInForce = true;
        }
    }

    @Override
    public CompletableFuture<Message> query(final Message request)
    {
        final ByteBuffer query = request.getContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (query.remaining() < ReplicationCommandDescriptor.QUERY_LENGTH ||
            query.getInt(query.position() + TYPE_OFFSET) != QUERY_LAST_SEQ)
        {
            return CompletableFuture.failedFuture(new IllegalArgumentException("unknown query"));
        }
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(ok(lastSeq))));
    }

    /**
     * Read this peer's stream; waits while a snapshot install replaces it, so a reader never meets the closed one.
     */
    <T> T read(final Function<StreamStore, T> reader)
    {
        storeLock.readLock().lock();
        try
        {
            return reader.apply(store);
        }
        finally
        {
            storeLock.readLock().unlock();
        }
    }

    /**
     * @return the local stream. It is replaced when a snapshot is installed: look it up again rather than keep it.
     */
    public StreamStore store()
    {
        return store;
    }

    /**
     * @return the last sequence this peer has applied (its stream may show less, in {@code ALWAYS} mode, until the
     * force covering it returns).
     */
    public long appliedSeq()
    {
        return lastSeq;
    }

    /**
     * @return how many times this instance replaced its stream from a snapshot (for tests and monitoring).
     */
    public int snapshotsInstalled()
    {
        return snapshotsInstalled;
    }

    @Override
    public void close() throws IOException
    {
        super.close();
        final StreamStore current = store;
        if (null != current)
        {
            current.close();
        }
    }

    private static byte[] ok(final long value)
    {
        return ReplicationCommandDescriptor.encodeReply(STATUS_OK, value, null);
    }

    private static byte[] rejected(final String why)
    {
        return ReplicationCommandDescriptor.encodeReply(STATUS_REJECTED, 0, why);
    }
}
