package io.ferrite.replication;

import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static io.ferrite.replication.ReplicationCommandDescriptor.REPLY_MESSAGE_LENGTH_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.REPLY_MESSAGE_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.REPLY_STATUS_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.REPLY_VALUE_OFFSET;
import static io.ferrite.replication.ReplicationCommandDescriptor.STATUS_OK;

/**
 * A replicated stream as its users see it from one peer: writes go through Raft to the whole group, reads come from
 * this peer's copy.
 * <p>
 * Writes ({@link #append}, {@link #remove}, {@link #purge}, {@link #updateLimits}) are sent to the leader, wherever
 * it is, and complete when a majority of the group has the command in its log and the leader has applied it; a
 * write is linearizable. Ratis retries a write across a leader change under the same call id, and its retry cache
 * answers a retry of an applied call with the first reply; a retry that reaches a new leader before it applied the
 * old leader's entry is appended again, so across leader changes an append is at least once (see
 * docs/REPLICATION.md). A refusal every peer reaches alike fails the future with
 * {@link ReplicationRejectedException}.
 * <p>
 * Reads ({@link #load}, {@link #lastSeq}, {@link #state}) come from this peer's stream and may be stale on a
 * follower: they see what this peer applied, which is a prefix of what the leader acknowledged. For a linearizable
 * answer ask {@link #lastSeqLinearizable()}, which goes through Ratis's read index on the leader; to then read a
 * message that sequence covers from this peer, wait until {@link #appliedSeq()} reaches it.
 * <p>
 * Threading: every method may be called from any thread.
 */
public final class ReplicatedStream
{
    private static final Message LAST_SEQ_QUERY = Message.valueOf(UnsafeByteOperations.unsafeWrap(
        ReplicationCommandDescriptor.encodeQuery(ReplicationCommandDescriptor.QUERY_LAST_SEQ)));

    private final RaftClient client;
    private final FerriteStateMachine stateMachine;

    ReplicatedStream(final RaftClient client, final FerriteStateMachine stateMachine)
    {
        this.client = client;
        this.stateMachine = stateMachine;
    }

    /**
     * Append a message to the group's stream.
     *
     * @param headers null or empty for none.
     * @return completed with the sequence the message took once a majority committed it; failed with
     * {@link ReplicationRejectedException} when the stream refused it (e.g. a malformed subject).
     */
    public CompletableFuture<Long> append(final String subject, final byte[] headers, final byte[] payload)
    {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(payload, "payload");
        return send(ReplicationCommandDescriptor.encodeAppend(subject, headers, payload));
    }

    /**
     * @return completed with true when a message was stored at {@code seq} and is now removed on every peer.
     */
    public CompletableFuture<Boolean> remove(final long seq)
    {
        return send(ReplicationCommandDescriptor.encodeRemove(seq)).thenApply(removed -> removed != 0);
    }

    /**
     * Remove every message appended before this command's place in the log.
     *
     * @return completed with the count removed.
     */
    public CompletableFuture<Long> purge()
    {
        return purge(">");
    }

    /**
     * Remove the messages whose subject matches {@code filter}, of those appended before this command's place in the
     * log.
     *
     * @return completed with the count removed.
     */
    public CompletableFuture<Long> purge(final String filter)
    {
        Objects.requireNonNull(filter, "filter");
        return send(ReplicationCommandDescriptor.encodePurge(filter));
    }

    /**
     * Replace the stream's limits on every peer. They must discard OLD messages: with {@code Discard.NEW} a peer's
     * refusal would depend on its own clock, and peers would diverge.
     */
    public CompletableFuture<Void> updateLimits(final StreamLimits limits)
    {
        FerriteStateMachine.requireReplicable(limits);
        return send(ReplicationCommandDescriptor.encodeUpdateLimits(limits)).thenApply(ignored -> null);
    }

    /**
     * @return the group's last sequence as of some moment during the call, through the leader's read index: every
     * append acknowledged before the call is covered.
     */
    public CompletableFuture<Long> lastSeqLinearizable()
    {
        return client.async().sendReadOnly(LAST_SEQ_QUERY).thenApply(ReplicatedStream::value);
    }

    /**
     * @return the message at {@code seq} in this peer's stream, null when none is there (yet, on a follower).
     */
    public StoredMessage load(final long seq)
    {
        return stateMachine.read(store -> store.load(seq));
    }

    /**
     * @return this peer's stream's last visible sequence; stale on a follower.
     */
    public long lastSeq()
    {
        return stateMachine.read(StreamStore::lastSeq);
    }

    /**
     * @return the last sequence this peer applied (its stream shows it once durable in {@code ALWAYS} mode).
     */
    public long appliedSeq()
    {
        return stateMachine.appliedSeq();
    }

    /**
     * @return this peer's stream's totals; stale on a follower.
     */
    public StreamState state()
    {
        return stateMachine.read(StreamStore::state);
    }

    /**
     * This peer's stream, for the rest of the read API (tailers, subject state). Never write to it: writes go through
     * this class. It is replaced when a snapshot is installed on this peer: a reader holding it then meets
     * {@code StoreClosedException} and asks again ({@link #load}, {@link #lastSeq} and {@link #state} wait for the
     * replacement instead).
     */
    public StreamStore localStore()
    {
        return stateMachine.store();
    }

    private CompletableFuture<Long> send(final byte[] command)
    {
        return client.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(command)))
            .thenApply(ReplicatedStream::value);
    }

    private static long value(final RaftClientReply reply)
    {
        if (!reply.isSuccess())
        {
            throw new CompletionException(reply.getException());
        }
        final ByteString content = reply.getMessage().getContent();
        final ByteBuffer buffer = ByteBuffer.wrap(content.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        if (buffer.getInt(REPLY_STATUS_OFFSET) != STATUS_OK)
        {
            final int length = buffer.getInt(REPLY_MESSAGE_LENGTH_OFFSET);
            final byte[] why = new byte[length];
            buffer.get(REPLY_MESSAGE_OFFSET, why);
            throw new ReplicationRejectedException(new String(why, StandardCharsets.UTF_8));
        }
        return buffer.getLong(REPLY_VALUE_OFFSET);
    }
}
