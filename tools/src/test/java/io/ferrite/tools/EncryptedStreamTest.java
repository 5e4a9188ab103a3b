package io.ferrite.tools;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command against encrypted streams built by the real engine under {@link Streams#KEY}: healthy, with a record
 * body altered and its checksums recomputed, with a footer altered, and with the wrong key.
 */
class EncryptedStreamTest
{
    private static final int MESSAGES = 2000;

    @TempDir
    Path dir;

    private Path stream()
    {
        return Streams.encrypted(dir.resolve("s"), MESSAGES);
    }

    private Path keyFile()
    {
        return Streams.hexKeyFile(dir.resolve("orders.key"), Streams.KEY);
    }

    // ---- inspect

    @Test
    void inspectWithoutAKeyShowsTotalsAndBlocksButNoSubjectsAndUnverifiedFooters()
    {
        final Path stream = stream();
        final StateSnapshot state = Streams.state(stream);
        final Map<String, String> before = Streams.fingerprint(stream);

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(state.blockCount()).as("several blocks, so several sealed ones").isGreaterThan(3);
        assertThat(run.out())
            .contains("encrypted true", "key      none given: nothing is decrypted")
            .contains("messages    2,000", "sequences   1..2000")
            .contains("subjects  encrypted (use --key-file): state.db holds 3 subject(s)")
            .contains("blocks  " + state.blockCount() + " (" + (state.blockCount() - 1) + " sealed, 1 active)")
            .containsPattern("\\n\\s+1\\s+1\\.\\.\\d+\\s+[0-9,]+\\s+.*sealed\\s+yes\\s+[0-9a-f]{8}\\s+unverified\\n")
            .containsPattern("\\n\\s+" + state.blockCount() +
                "\\s+\\d+\\.\\.2000\\s+.*active\\s+yes\\s+[0-9a-f]{8}\\s+-\\n")
            .contains("footers  " + (state.blockCount() - 1) + " sealed block(s)", "UNVERIFIED")
            .contains("" + (Streams.BLOCK_SIZE - BlockFooterCodec.FOOTER_LENGTH))
            .doesNotContain("o.a", "o.b", "o.c", "PROBLEMS");
        assertThat(Streams.fingerprint(stream)).as("inspect changes nothing").isEqualTo(before);
    }

    @Test
    void inspectAsJsonSaysTheSubjectsAreSealed()
    {
        final Path stream = stream();

        final Cli.Run run = Cli.run("inspect", stream, "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("\"subjectCount\": 3", "\"subjectsSealed\": true", "\"subjects\": null", "\"keyFile\": null")
            .contains("\"status\": \"unverified\"", "\"authenticated\": false", "\"encrypted\": true")
            .doesNotContain("o.a", "\"status\": \"verified\"");
    }

    @Test
    void anEncryptedStreamsConsumersAreCheckedWithoutTheKeyAndReadWithIt()
    {
        final Path stream = stream();
        try (StreamStore store = FileStreamStore.open(stream, Streams.encryptedConfig()))
        {
            final ConsumerStore billing = store.consumer("billing", ConsumerConfig.builder().build());
            billing.updateDelivered(1, 1, 1, 1_000L);
            billing.updateDelivered(2, 2, 1, 2_000L);
            billing.updateAcks(1, 1);
        }
        final Cli.Run sealed = Cli.run("inspect", stream);
        assertThat(sealed.exitCode()).as(sealed.toString()).isZero();
        assertThat(sealed.out()).containsPattern("billing\\s+sealed\\s+\\(--key-file\\)");

        final Cli.Run opened = Cli.run("inspect", stream, "--key-file", keyFile());
        assertThat(opened.exitCode()).as(opened.toString()).isZero();
        assertThat(opened.out()).containsPattern("billing\\s+1 \\(c1\\)\\s+2 \\(c2\\)\\s+1\\s+0");
    }

    @Test
    void inspectWithTheKeyOpensTheSubjectsAndVerifiesEveryFooter()
    {
        final Path stream = stream();
        final StateSnapshot state = Streams.state(stream);

        final Cli.Run run = Cli.run("inspect", stream, "--key-file", keyFile());

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("matches stream.key; subjects opened, footer MACs verified, no record decrypted")
            .contains("subjects  3", "o.a", "o.b", "o.c")
            .contains("MACs verified with the key")
            .doesNotContain("unverified", "PROBLEMS");
        assertThat(run.out().lines().filter((line) -> line.endsWith("  verified")))
            .as("every sealed block, in the blocks and the footers table")
            .hasSize(2 * (state.blockCount() - 1));
    }

    @Test
    void inspectNeverReadsARecordEvenWithTheKey()
    {
        final Path stream = stream();
        final int offset = Streams.encryptedRecordOffsetInFirstBlock(5);
        final Path block = Streams.blockFile(stream, 1);
        BlockFiles.flip(block, offset + RecordDescriptor.HEADER_LENGTH + 10);
        Streams.recomputeRecordChecksum(block, offset, Streams.ENCRYPTED_FRAME);

        final Cli.Run inspect = Cli.run("inspect", stream, "--key-file", keyFile());
        final Cli.Run verify = Cli.run("verify", stream, "--key-file", keyFile());

        assertThat(inspect.exitCode()).as("a record body is not inspect's business: " + inspect).isZero();
        assertThat(verify.exitCode()).as("but verify catches it: " + verify).isEqualTo(1);
    }

    @Test
    void inspectWithTheKeyReportsATamperedFooterWithFileAndOffset()
    {
        final Path stream = stream();
        final Path block = Streams.blockFile(stream, 2);
        final long footerAt = Streams.BLOCK_SIZE - BlockFooterCodec.FOOTER_LENGTH;
        BlockFiles.flip(block, footerAt + BlockFooterCodec.FOOTER_LENGTH - 1);

        final Cli.Run withoutKey = Cli.run("inspect", stream);
        final Cli.Run withKey = Cli.run("inspect", stream, "--key-file", keyFile());

        assertThat(withoutKey.exitCode()).as("a flipped MAC byte is invisible without the key: " + withoutKey).isZero();
        assertThat(withKey.exitCode()).as(withKey.toString()).isEqualTo(1);
        assertThat(withKey.out())
            .containsPattern("\\n\\s+2\\s+.*TAMPERED\\n")
            .contains("PROBLEMS  1")
            .contains("block 2 footer does not authenticate (TAMPERED): " + block + " offset " + footerAt);
    }

    @Test
    void inspectWithoutTheKeyStillFindsAFooterThatDisagreesWithStateDb()
    {
        final Path stream = stream();
        final Path block = Streams.blockFile(stream, 1);
        // The footer's last sequence (offset 32, little-endian): its low byte changes.
        BlockFiles.flip(block, Streams.BLOCK_SIZE - BlockFooterCodec.FOOTER_LENGTH + 32);

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).contains("block 1 footer is not usable", block.toString(), "disagree", "last sequence");
    }

    // ---- verify

    @Test
    void verifyWithTheKeyAuthenticatesEveryRecordAndFooter()
    {
        final Path stream = stream();
        final StateSnapshot state = Streams.state(stream);
        final Map<String, String> before = Streams.fingerprint(stream);

        final Cli.Run run = Cli.run("verify", stream, "--key-file", keyFile(), "--blocks");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("(encrypted; authenticated with the key in " + dir.resolve("orders.key") + ")")
            .contains("checked  2,000 records (2,000 messages, 0 skips)")
            .contains("tags     2,000 message bodies authenticated")
            .contains("footers  " + (state.blockCount() - 1) + " sealed block(s): " + (state.blockCount() - 1) +
                " verified")
            .contains("its sealed subjects section authenticates")
            .contains("result   OK: every record's checksum and every message's authentication tag verify");
        assertThat(Streams.fingerprint(stream)).as("verify changes nothing").isEqualTo(before);
    }

    @Test
    void verifyWithoutTheKeyChecksChecksumsOnlyAndSaysSo()
    {
        final Path stream = stream();

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("(encrypted; no --key-file: checksums only, record tags and footer MACs not checked)")
            .contains("checked  2,000 records")
            .contains("unverified; footer MACs not checked without --key-file")
            .contains("Record tags and footer MACs were NOT checked (no --key-file)")
            .doesNotContain("tags     ");
    }

    @Test
    void aCiphertextByteAlteredWithValidChecksumsIsCaughtOnlyByItsTag()
    {
        final Path stream = stream();
        final StateSnapshot state = Streams.state(stream);
        final long seq = 1 + state.blockLastSeq(0) / 2;
        final int offset = Streams.encryptedRecordOffsetInFirstBlock(seq);
        final Path block = Streams.blockFile(stream, 1);
        BlockFiles.flip(block, offset + RecordDescriptor.HEADER_LENGTH + 50);
        Streams.recomputeRecordChecksum(block, offset, Streams.ENCRYPTED_FRAME);

        final Cli.Run withoutKey = Cli.run("verify", stream);
        final Cli.Run withKey = Cli.run("verify", stream, "--key-file", keyFile());
        final Cli.Run json = Cli.run("verify", stream, "--key-file", keyFile(), "--json");

        assertThat(withoutKey.exitCode()).as("the checksums verify: " + withoutKey).isZero();
        assertThat(withKey.exitCode()).as(withKey.toString()).isEqualTo(1);
        assertThat(withKey.out())
            .contains("DAMAGED  1 range(s); 1 of " + state.blockCount() + " block file(s) affected")
            .containsPattern(block + "\\s+" + offset + "\\s+" + Streams.ENCRYPTED_FRAME + "\\s+" + seq +
                "\\s+record body does not authenticate")
            .contains("tags     1,999 message bodies authenticated")
            .contains("possible tampering")
            .contains("result   DAMAGED");
        assertThat(json.out())
            .contains("\"kind\": \"TAMPERED_RECORD\"", "\"offset\": " + offset, "\"firstSeq\": " + seq,
                "\"file\": \"" + block + "\"");
    }

    @Test
    void aTamperedFooterIsReportedWithFileAndOffset()
    {
        final Path stream = stream();
        final Path block = Streams.blockFile(stream, 3);
        final long footerAt = Streams.BLOCK_SIZE - BlockFooterCodec.FOOTER_LENGTH;
        BlockFiles.flip(block, footerAt + 40);

        final Cli.Run run = Cli.run("verify", stream, "--key-file", keyFile(), "--blocks");

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .containsPattern(block + "\\s+" + footerAt + "\\s+" + BlockFooterCodec.FOOTER_LENGTH +
                "\\s+none\\s+block footer does not authenticate")
            .containsPattern("00000000000000000003\\.blk\\s+.*TAMPERED\\s+DAMAGED \\(1\\)");
    }

    @Test
    void aPlaintextRecordForgedIntoAnEncryptedBlockIsDamageEvenWithoutTheKey()
    {
        final Path stream = stream();
        final int offset = Streams.encryptedRecordOffsetInFirstBlock(10);
        final Path block = Streams.blockFile(stream, 1);
        // Clear the record's encrypted flag and recompute both checksums: the record now claims to be plaintext.
        BlockFiles.write(block, offset + RecordDescriptor.FLAGS_OFFSET, new byte[] {(byte)0});
        Streams.recomputeHeaderChecksum(block, offset);
        Streams.recomputeRecordChecksum(block, offset, Streams.ENCRYPTED_FRAME);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .containsPattern(block + "\\s+" + offset + "\\s+" + Streams.ENCRYPTED_FRAME + "\\s+10\\s+damaged region")
            .contains("checked  1,999 records");
    }

    // ---- dump

    @Test
    void dumpWithTheKeyPrintsTheRightPayloads()
    {
        final Path stream = stream();
        final Path key = keyFile();

        final Cli.Run bySeq = Cli.run("dump", stream, "--seq", 1234, "--key-file", key);
        final Cli.Run bySubject = Cli.run("dump", stream, "--subject", "o.b", "--limit", 3, "--key-file", key);

        assertThat(bySeq.exitCode()).as(bySeq.toString()).isZero();
        assertThat(bySeq.out())
            .containsPattern("^seq 1234  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z  o\\.a\\R")
            .contains("headers  none", "payload  100 B  \"message 1234 ");
        assertThat(bySubject.exitCode()).as(bySubject.toString()).isZero();
        assertThat(bySubject.out().lines().filter((line) -> line.startsWith("seq "))).hasSize(3)
            .allMatch((line) -> line.endsWith("o.b"));
        assertThat(bySubject.out()).contains("seq 2 ", "seq 5 ", "seq 8 ", "\"message 2 ", "\"message 5 ",
            "\"message 8 ");
    }

    @Test
    void dumpWithoutTheKeyIsAClearError()
    {
        final Path stream = stream();

        final Cli.Run run = Cli.run("dump", stream, "--seq", 1);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("stream orders is encrypted", "needs the stream's key", "--key-file FILE",
            "32 raw bytes, or 64 hex characters", "ferrite inspect " + stream);
        assertThat(run.out()).isEmpty();
    }

    // ---- the key file

    @Test
    void theWrongKeyIsRefusedByEveryCommand()
    {
        final Path stream = stream();
        final Path wrong = Streams.hexKeyFile(dir.resolve("wrong.key"), Streams.key(7));
        final Map<String, String> before = Streams.fingerprint(stream);

        for (final String[] args : new String[][] {
            { "inspect" }, { "verify" }, { "dump", "--seq", "1" } })
        {
            final Object[] command = new Object[args.length + 3];
            command[0] = args[0];
            command[1] = stream;
            System.arraycopy(args, 1, command, 2, args.length - 1);
            command[args.length + 1] = "--key-file";
            command[args.length + 2] = wrong;

            final Cli.Run run = Cli.run(command);

            assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
            assertThat(run.err()).as(args[0]).contains("key does not match stream orders", wrong.toString());
            assertThat(run.out()).as(args[0]).isEmpty();
        }
        assertThat(Streams.fingerprint(stream)).as("a wrong key changes nothing, not even for dump").isEqualTo(before);
    }

    @Test
    void aKeyFileMayHoldRawBytesOrHexInEitherCaseWithATrailingNewline() throws IOException
    {
        final Path stream = stream();
        final String hex = HexFormat.of().formatHex(Streams.KEY);
        final Path raw = Files.write(dir.resolve("raw.key"), Streams.KEY);
        final Path upper = Files.writeString(dir.resolve("upper.key"), hex.toUpperCase(Locale.ROOT));
        final Path crlf = Files.writeString(dir.resolve("crlf.key"), hex + "\r\n");

        for (final Path key : new Path[] { raw, upper, crlf })
        {
            final Cli.Run run = Cli.run("dump", stream, "--seq", 7, "--key-file", key);

            assertThat(run.exitCode()).as(key + ": " + run).isZero();
            assertThat(run.out()).contains("\"message 7 ");
        }
    }

    @Test
    void aKeyFileInAnyOtherFormatIsRefusedNamingTheFileAndTheFormats() throws IOException
    {
        final Path stream = stream();
        final String hex = HexFormat.of().formatHex(Streams.KEY);
        final Path[] bad = {
            Files.writeString(dir.resolve("short.key"), hex.substring(0, 32) + "\n"),
            Files.write(dir.resolve("raw-newline.key"), (new String(Streams.KEY, StandardCharsets.ISO_8859_1) + "\n")
                .getBytes(StandardCharsets.ISO_8859_1)),
            Files.writeString(dir.resolve("not-hex.key"), "g" + hex.substring(1)),
            Files.writeString(dir.resolve("spaces.key"), hex + "  \n"),
            Files.writeString(dir.resolve("empty.key"), ""),
        };

        for (final Path key : bad)
        {
            final Cli.Run run = Cli.run("verify", stream, "--key-file", key);

            assertThat(run.exitCode()).as(key + ": " + run).isEqualTo(2);
            assertThat(run.err()).as(key.toString())
                .contains("key file " + key + " is not in a format ferrite reads")
                .contains("exactly 32 raw bytes, or 64 hex characters (a trailing newline is allowed)");
        }
        final Cli.Run missing = Cli.run("verify", stream, "--key-file", dir.resolve("nope.key"));
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("no such key file: " + dir.resolve("nope.key"));
    }

    @Test
    void aMissingStreamKeyFileIsAClearError() throws IOException
    {
        final Path stream = stream();
        Files.delete(stream.resolve("stream.key"));

        final Cli.Run run = Cli.run("verify", stream, "--key-file", keyFile());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("no stream key file: " + stream.resolve("stream.key") + " is missing");
    }

    @Test
    void theHelpDocumentsTheKeyFileFormats()
    {
        for (final String command : new String[] { "inspect", "verify", "dump" })
        {
            final Cli.Run run = Cli.run(command, "--help");

            assertThat(run.exitCode()).isZero();
            assertThat(run.out().replaceAll("\\s+", " ")).as(command)
                .contains("--key-file=FILE", "32 raw bytes, or 64 hex characters (a trailing newline is allowed)");
        }
    }

    @Test
    void blockFilesHoldNoPlaintextPayload() throws IOException
    {
        final Path stream = stream();

        final String bytes = new String(Files.readAllBytes(Streams.blockFile(stream, 1)), StandardCharsets.ISO_8859_1);

        assertThat(bytes).doesNotContain("message 1 ", "abcdefghij");
    }
}
