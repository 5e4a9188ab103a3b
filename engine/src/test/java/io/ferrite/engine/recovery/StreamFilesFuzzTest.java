package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.CaseDirectories;
import io.ferrite.engine.testing.FuzzGolden;
import io.ferrite.engine.testing.StreamMode;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Coverage-guided fuzzing (Jazzer) of every file Ferrite reads: each input damages one copy of a small golden stream,
 * plaintext or encrypted ({@link FuzzGolden}), through {@link StreamFileMutator}, and {@link FileDamageOracle} then
 * opens it, reads everything, appends, closes and opens it again, holding the store to issue 12's promises.
 * <p>
 * Under plain JUnit ({@code mvn verify}) each target replays its committed corpus, in
 * {@code src/test/resources/io/ferrite/recovery/StreamFilesFuzzTestInputs/<target>/}, crashers found so far included.
 * To fuzz one target (libFuzzer's {@code -timeout} turns a hang into a finding, saved in that directory):
 * <pre>
 * JAZZER_FUZZ=1 nice -n 19 mvn -B -o -pl crypto,engine test -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dtest=StreamFilesFuzzTest#blockFiles
 * </pre>
 * Each target fuzzes for its {@code maxDuration}; new coverage goes to {@code .cifuzz-corpus/} (not committed).
 */
class StreamFilesFuzzTest
{
    private static final Path ROOT = CaseDirectories.createRoot("ferrite-fuzz-");
    private static final AtomicLong CASES = new AtomicLong();
    private static final Map<StreamMode, ForgeryScan> SCANS = new EnumMap<>(StreamMode.class);

    static
    {
        if (null != System.getenv("JAZZER_FUZZ"))
        {
            // Every damaged case logs its losses at WARN: thousands a minute would drown the fuzzer's own output.
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
    }

    /**
     * {@code state.db} alone — flipped, cut, replaced, its fields and block entries rewritten, its checksums
     * recomputed over the damage — the current one or the first session's.
     */
    @FuzzTest(maxDuration = "4m")
    void stateFile(final FuzzedDataProvider data)
    {
        run(data, (mutator) ->
        {
            mutator.chooseState();
            mutator.mutateState(3);
        });
    }

    /**
     * {@code stream.json}, {@code stream.key} and {@code LOCK}.
     */
    @FuzzTest(maxDuration = "4m")
    @DictionaryEntries({"\"format\"", "\"name\"", "\"blockSize\"", "\"maxMsgSize\"", "\"encrypted\"", "\"maxMsgs\"",
        "\"maxBytes\"", "\"maxAgeMillis\"", "\"maxMsgsPerSubject\"", "\"discard\"", "\"fuzz\"", "\"OLD\"", "\"NEW\"",
        "true", "false", "null", "4096", "256", "ferrite-lock pid=", " started=", " lock=dev="})
    void metadataFiles(final FuzzedDataProvider data)
    {
        run(data, (mutator) -> mutator.mutateMetadata(3));
    }

    /**
     * Block files: headers, records (their fields located by the golden's frames), footers and the zeros after the
     * data, with either {@code state.db}.
     */
    @FuzzTest(maxDuration = "4m")
    void blockFiles(final FuzzedDataProvider data)
    {
        run(data, (mutator) ->
        {
            mutator.chooseState();
            mutator.mutateBlocks(3);
        });
    }

    /**
     * Several files at once, whole-file deletions and swaps included; {@code state.db} is one of the two the golden
     * wrote, so what it proves stays known.
     */
    @FuzzTest(maxDuration = "4m")
    void everyFile(final FuzzedDataProvider data)
    {
        run(data, (mutator) ->
        {
            mutator.chooseState();
            mutator.mutateAnyFile(4);
        });
    }

    private static void run(final FuzzedDataProvider data, final Consumer<StreamFileMutator> damage)
    {
        final StreamMode mode = data.consumeBoolean() ? StreamMode.ENCRYPTED : StreamMode.PLAINTEXT;
        final FuzzGolden golden = FuzzGolden.shared(mode);
        final Path dir = ROOT.resolve("case-" + CASES.incrementAndGet());
        try
        {
            golden.copyTo(dir);
            final StreamFileMutator mutator = new StreamFileMutator(golden, data, dir);
            damage.accept(mutator);
            final FileDamageOracle.Trust trust = FileDamageOracle.trust(golden, scan(golden), dir);
            FileDamageOracle.check(golden, dir, trust, mutator.log() + " [" + trust + "]");
        }
        finally
        {
            CaseDirectories.delete(dir);
        }
    }

    private static synchronized ForgeryScan scan(final FuzzGolden golden)
    {
        return SCANS.computeIfAbsent(golden.mode(), (mode) -> new ForgeryScan(golden));
    }
}
