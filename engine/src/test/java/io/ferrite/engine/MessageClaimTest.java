package io.ferrite.engine;

import io.ferrite.engine.flush.PowerLossIO;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectHandle;
import io.ferrite.store.SyncMode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The zero-allocation API: subject handles, appends from buffers, and claims — what each refuses, and that a claim
 * never committed leaves nothing behind, after an abort, a reopen or a power cut.
 */
class MessageClaimTest
{
    private static final int MAX_MSG_SIZE = 4096;

    @TempDir
    Path dir;

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder("quotes").blockSize(64 * 1024).maxMsgSize(MAX_MSG_SIZE)
            .syncMode(SyncMode.NONE));
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static long claimAndCommit(
        final StreamStore store, final SubjectHandle subject, final String headers, final String payload,
        final MessageClaim claim)
    {
        final long seq = store.tryClaim(subject, headers.length(), payload.length(), claim);
        claim.buffer().putStringWithoutLengthAscii(claim.headersOffset(), headers);
        claim.buffer().putStringWithoutLengthAscii(claim.payloadOffset(), payload);
        assertThat(claim.commit()).isEqualTo(seq);
        return seq;
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void handleAppendsAndClaimsStoreWhatWasEncoded(final StreamMode mode)
    {
        try (StreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            final SubjectHandle eu = store.subject("md.eu.px");
            final UnsafeBuffer offHeap = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
            offHeap.putStringWithoutLengthAscii(8, "hdrpayload");
            assertThat(store.append(eu, offHeap, 8, 3, offHeap, 11, 7)).isEqualTo(1);
            assertThat(store.append(eu, null, 0, 0, new UnsafeBuffer(bytes("x")), 0, 1)).isEqualTo(2);
            final MessageClaim claim = new MessageClaim();
            assertThat(claimAndCommit(store, eu, "h", "claimed", claim)).isEqualTo(3);
            assertThat(claimAndCommit(store, store.subject("md.us.px"), "", "again", claim)).isEqualTo(4);

            assertMessage(store.load(1), "md.eu.px", "hdr", "payload");
            assertMessage(store.load(2), "md.eu.px", "", "x");
            assertMessage(store.load(3), "md.eu.px", "h", "claimed");
            assertMessage(store.load(4), "md.us.px", "", "again");
            assertThat(store.subjects(">").get("md.eu.px").msgs()).isEqualTo(3);
            assertThat(store.loadLast("md.us.px").seq()).isEqualTo(4);
        }
        try (StreamStore reopened = FileStreamStore.open(dir, config(mode)))
        {
            assertMessage(reopened.load(3), "md.eu.px", "h", "claimed");
            assertThat(reopened.state().lastSeq()).isEqualTo(4);
        }
    }

    @Test
    void badArgumentsAreRefusedNamingTheArgument()
    {
        try (StreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT));
            StreamStore other = FileStreamStore.open(dir.resolve("other"), config(StreamMode.PLAINTEXT)))
        {
            final SubjectHandle subject = store.subject("a.b");
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[16]);
            final MessageClaim claim = new MessageClaim();
            assertThatThrownBy(() -> store.subject("a.*")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("wildcard");
            assertThatThrownBy(() -> store.append(null, null, 0, 0, payload, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("subject handle must not be null");
            assertThatThrownBy(() -> store.tryClaim(null, 0, 1, claim))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("subject handle must not be null");
            assertThatThrownBy(() -> store.append(other.subject("a.b"), null, 0, 0, payload, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not made by this store");
            assertThatThrownBy(() -> store.tryClaim(other.subject("a.b"), 0, 1, claim))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not made by this store");
            assertThatThrownBy(() -> store.tryClaim(subject, -1, 1, claim))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("headersLength must be >= 0: -1");
            assertThatThrownBy(() -> store.tryClaim(subject, 0, -5, claim))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("payloadLength must be >= 0: -5");
            assertThatThrownBy(() -> store.append(subject, null, 0, 0, payload, 0, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("payloadLength must be >= 0");
            assertThatThrownBy(() -> store.tryClaim(subject, 1, MAX_MSG_SIZE, claim))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("above maxMsgSize 4096");
            assertThatThrownBy(() -> store.append(subject, payload, 0, 8, payload, 8, MAX_MSG_SIZE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("above maxMsgSize 4096");
            assertThatThrownBy(() -> store.append(subject, null, 0, 0, payload, 10, 7))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("payloadOffset 10 + payloadLength 7 must lie in [0, 16]");
            assertThatThrownBy(() -> store.append(subject, null, 0, 1, payload, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("headers must not be null");
            assertThatThrownBy(() -> store.append(subject, null, 0, 0, null, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("payload must not be null");
            assertThatThrownBy(() -> store.tryClaim(subject, 0, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("claim must not be null");
            assertThat(store.state().lastSeq()).isZero();
            assertThat(claim.isOpen()).isFalse();
        }
    }

    @Test
    void aClaimEndsOnceAndHoldsTheAppendLockForItsThread() throws Exception
    {
        try (StreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT)))
        {
            final SubjectHandle subject = store.subject("a.b");
            final MessageClaim claim = new MessageClaim();
            assertThatThrownBy(claim::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not claimed yet");

            assertThat(store.tryClaim(subject, 0, 4, claim)).isEqualTo(1);
            assertThatThrownBy(() -> store.tryClaim(subject, 0, 4, claim)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("claim is still open for sequence 1");
            assertThatThrownBy(() -> store.tryClaim(subject, 0, 4, new MessageClaim()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("holds an open claim for sequence 1");
            assertThatThrownBy(() -> store.append("a.b", null, bytes("x")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("holds an open claim");
            assertThatThrownBy(() -> store.remove(1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holds an open claim");
            assertThatThrownBy(() -> claim.buffer().putInt(2, 7)).isInstanceOf(IndexOutOfBoundsException.class);
            final AtomicReference<Throwable> elsewhere = new AtomicReference<>();
            final Thread other = new Thread(() ->
            {
                try
                {
                    claim.commit();
                }
                catch (final Throwable ex)
                {
                    elsewhere.set(ex);
                }
            });
            other.start();
            other.join();
            assertThat(elsewhere.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was claimed by thread");

            claim.abort();
            assertThatThrownBy(claim::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already aborted (sequence 1)");
            assertThatThrownBy(claim::abort).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already aborted");
            // The aborted claim consumed nothing: the next append takes its sequence.
            assertThat(store.append("a.b", null, bytes("x"))).isEqualTo(1);

            assertThat(claimAndCommit(store, subject, "", "next", claim)).isEqualTo(2);
            assertThatThrownBy(claim::abort).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already committed (sequence 2)");
            assertThatThrownBy(claim::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already committed");
            assertThat(store.load(2).payload()).isEqualTo(bytes("next"));
        }
    }

    @Test
    void anotherThreadsAppendWaitsForTheCommit() throws Exception
    {
        try (StreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT)))
        {
            final SubjectHandle subject = store.subject("a.b");
            final MessageClaim claim = new MessageClaim();
            store.tryClaim(subject, 0, 1, claim);
            final Thread appender = new Thread(() -> store.append("a.c", null, bytes("later")));
            appender.start();
            claim.buffer().putByte(0, (byte)'c');
            assertThat(claim.commit()).isEqualTo(1);
            appender.join();
            assertThat(store.load(1).payload()).isEqualTo(bytes("c"));
            assertThat(store.load(2).payload()).isEqualTo(bytes("later"));
        }
    }

    @Test
    void aClosedStoreRefusesClaimsAndCloseEndsAnOpenClaim()
    {
        final StreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT));
        final SubjectHandle subject = store.subject("a.b");
        final MessageClaim claim = new MessageClaim();
        store.append("a.b", null, bytes("kept"));
        store.tryClaim(subject, 0, 8, claim);
        claim.buffer().putLong(0, -1L);
        store.close();
        assertThat(claim.isOpen()).isFalse();
        assertThatThrownBy(() -> store.tryClaim(subject, 0, 8, claim)).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.append(subject, null, 0, 0, new UnsafeBuffer(new byte[1]), 0, 1))
            .isInstanceOf(StoreClosedException.class);
        try (StreamStore reopened = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT)))
        {
            assertThat(reopened.state().lastSeq()).isEqualTo(1);
            assertThat(reopened.recoveryReport().lost()).isEmpty();
            assertThat(reopened.append("a.b", null, bytes("next"))).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void anAbortedClaimLeavesNothingAfterReopen(final StreamMode mode)
    {
        try (StreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            final SubjectHandle subject = store.subject("a.b");
            final MessageClaim claim = new MessageClaim();
            store.append("a.b", null, bytes("one"));
            // A long claim aborted, then a shorter record in its place: nothing of the claim may follow it.
            store.tryClaim(subject, 100, 900, claim);
            claim.buffer().setMemory(0, 1000, (byte)0x5A);
            claim.abort();
            assertThat(store.append("a.b", null, bytes("two"))).isEqualTo(2);
            store.tryClaim(subject, 0, 200, claim);
            claim.buffer().setMemory(0, 200, (byte)0x33);
            claim.abort();
        }
        try (StreamStore reopened = FileStreamStore.open(dir, config(mode)))
        {
            assertThat(reopened.state().lastSeq()).isEqualTo(2);
            assertThat(reopened.state().msgs()).isEqualTo(2);
            assertThat(reopened.recoveryReport().lost()).isEmpty();
            assertThat(reopened.load(2).payload()).isEqualTo(bytes("two"));
            assertThat(reopened.append("a.b", null, bytes("three"))).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void bytesAClaimLeavesUnwrittenAreZerosNeverAnotherRecordsNorAnAbortedClaims(final StreamMode mode)
    {
        try (StreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            store.append("secret.x", bytes("hdr-secret"), bytes("TOP-SECRET-PAYLOAD-0123456789"));
            final SubjectHandle open = store.subject("public.y");
            final MessageClaim claim = new MessageClaim();
            store.tryClaim(open, 0, 40, claim);
            claim.buffer().setMemory(claim.payloadOffset(), 40, (byte)0x5A);
            claim.abort();

            final long seq = store.tryClaim(open, 4, 36, claim);
            final byte[] shown = new byte[40];
            claim.buffer().getBytes(claim.headersOffset(), shown);
            assertThat(shown).as("what the claim shows before the caller writes").containsOnly(0);
            claim.buffer().putByte(claim.payloadOffset(), (byte)'!');
            claim.commit();

            final byte[] payload = new byte[36];
            payload[0] = '!';
            assertThat(store.load(seq).headers()).isEqualTo(new byte[4]);
            assertThat(store.load(seq).payload()).isEqualTo(payload);
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aClaimNeverCommittedLeavesNoRecordAfterAPowerCut(final StreamMode mode)
    {
        for (int seed = 0; seed < 8; seed++)
        {
            final Path live = dir.resolve("live-" + seed);
            final PowerLossIO io = new PowerLossIO(live);
            final StreamStore store = FileStreamStore.open(live, config(mode), io);
            final SubjectHandle subject = store.subject("a.b");
            final MessageClaim claim = new MessageClaim();
            for (int i = 0; i < 50; i++)
            {
                store.append("a.b", null, bytes("durable-" + i));
            }
            store.flush().join();
            store.tryClaim(subject, 16, 3000, claim);
            claim.buffer().setMemory(0, 3016, (byte)0x7E);
            final Path cut = dir.resolve("cut-" + seed);
            io.cut(new Random(seed), cut);
            claim.abort();
            store.close();
            try (StreamStore recovered = FileStreamStore.open(cut, config(mode)))
            {
                assertThat(recovered.state().lastSeq()).as("seed %d", seed).isEqualTo(50);
                assertThat(recovered.load(51)).isNull();
                assertThat(recovered.load(50).payload()).isEqualTo(bytes("durable-49"));
                assertThat(recovered.append("a.b", null, bytes("after"))).isEqualTo(51);
            }
            try (StreamStore again = FileStreamStore.open(cut, config(mode)))
            {
                assertThat(again.load(51).payload()).isEqualTo(bytes("after"));
            }
        }
    }

    private static void assertMessage(
        final StoredMessage message, final String subject, final String headers, final String payload)
    {
        assertThat(message.subject()).isEqualTo(subject);
        assertThat(message.headers()).isEqualTo(bytes(headers));
        assertThat(message.payload()).isEqualTo(bytes(payload));
    }
}
