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
import java.time.Duration;
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
 * Writes ({@link #append}, {@link #appendOnce}, {@link #remove}, {@link #erase}, {@link #purge}, {@link #compact},
 * {@link #truncate}, {@link #skip}, {@link #updateLimits}) are sent to the leader, wherever it is, and complete when a
 * majority of the group has the command in its log and the leader has applied it; a write is linearizable. Ratis
 * retries a write across a leader change under the same client and call id, and its retry cache answers a retry of an
 * applied call with the first reply (a new leader takes writes only once it has applied every entry of the old
 * terms, so the old leader's entry for the call is in its cache by then). A write the application sends again — after
 * its future failed, through another peer, or after a restart — is a new call: use {@link #appendOnce} where that
 * must not store a message twice (see docs/REPLICATION.md). A refusal every peer reaches alike fails the future with
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
    private final long duplicateWindowNanos;

    ReplicatedStream(final RaftClient client, final FerriteStateMachine stateMachine, final Duration duplicateWindow)
    {
        this.client = client;
        this.stateMachine = stateMachine;
        this.duplicateWindowNanos = duplicateWindow.toNanos();
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
     * Append a message at most once per {@code messageId}: a message appended under the same id within the duplicate
     * window ({@link ReplicationNode.Builder#duplicateWindow}, by the leader's clock) is not stored again, and the
     * future completes with the sequence the first one took. For an application that resends after a failed future,
     * after its peer died (through another peer's stream), or after a restart — cases Ratis's retry cache does not
     * cover. Every peer decides alike, from the log alone.
     *
     * @param messageId an id the application gives the message, e.g. a UUID or a producer's own sequence.
     * @param headers   null or empty for none.
     * @return completed with the sequence of the message (the first one's, for a duplicate).
     */
    public CompletableFuture<Long> appendOnce(
        final String messageId, final String subject, final byte[] headers, final byte[] payload)
    {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(payload, "payload");
        if (messageId.isEmpty())
        {
            throw new IllegalArgumentException("messageId must not be empty");
        }
        return send(ReplicationCommandDescriptor.encodeAppendOnce(
            messageId, duplicateWindowNanos, subject, headers, payload));
    }

    /**
     * Remove the message at {@code seq} on every peer and overwrite its bytes on their disks.
     *
     * @return completed with true when a message was stored at {@code seq} and is now erased on every peer.
     */
    public CompletableFuture<Boolean> erase(final long seq)
    {
        return send(ReplicationCommandDescriptor.encodeSequenceCommand(ReplicationCommandDescriptor.ERASE, seq))
            .thenApply(erased -> erased != 0);
    }

    /**
     * Remove every message below {@code seq}; a {@code seq} past the next sequence makes it the next one assigned.
     *
     * @param seq in [1, 2^62].
     * @return completed with the count removed.
     */
    public CompletableFuture<Long> compact(final long seq)
    {
        return send(ReplicationCommandDescriptor.encodeSequenceCommand(ReplicationCommandDescriptor.COMPACT, seq));
    }

    /**
     * Remove every message above {@code seq}; the next append gets {@code seq + 1}. Message ids of the removed
     * messages ({@link #appendOnce}) are forgotten.
     *
     * @param seq in [0, last sequence] at the command's place in the log; refused otherwise.
     */
    public CompletableFuture<Void> truncate(final long seq)
    {
        return send(ReplicationCommandDescriptor.encodeSequenceCommand(ReplicationCommandDescriptor.TRUNCATE, seq))
            .thenApply(ignored -> null);
    }

    /**
     * Reserve the next sequence without a message.
     *
     * @return completed with the sequence reserved.
     */
    public CompletableFuture<Long> skip()
    {
        return skip(1);
    }

    /**
     * Reserve the next {@code count} sequences without messages.
     *
     * @return completed with the last sequence reserved.
     */
    public CompletableFuture<Long> skip(final long count)
    {
        return send(ReplicationCommandDescriptor.encodeSequenceCommand(ReplicationCommandDescriptor.SKIP, count));
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
     * Remove the messages whose subject matches {@code filter} and whose sequence is below {@code upToSeq}, of those
     * appended before this command's place in the log. (The single store's {@code keep} count is not offered: see
     * docs/REPLICATION.md.)
     *
     * @param upToSeq exclusive; 0 for no bound.
     * @return completed with the count removed.
     */
    public CompletableFuture<Long> purge(final String filter, final long upToSeq)
    {
        Objects.requireNonNull(filter, "filter");
        return send(ReplicationCommandDescriptor.encodePurgeUpTo(filter, upToSeq));
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
