package io.ferrite.tools;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DoctorCommandTest
{
    @TempDir
    Path dir;

    @Test
    void measuresTheStorageAndReportsTheStreamAndAVerdict()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final Map<String, String> before = Streams.fingerprint(stream);

        final Cli.Run run = Cli.run("doctor", stream, "--duration", "100ms");

        assertThat(run.exitCode()).as(run.toString()).isIn(0, 1);
        assertThat(run.exitCode() == 1).as("exit 1 exactly when a PROBLEM is found").isEqualTo(
            run.out().contains("PROBLEM:"));
        assertThat(run.out())
            .contains("filesystem  ")
            .contains("space       ", "usable of")
            .contains("inodes      ")
            .contains("write 4 KiB + fdatasync", "read 4 KiB", "P99")
            .contains("stream orders", "blocks      5 file(s)", "64.0 KiB each", "encryption  none")
            .contains("store histograms  none recorded")
            .contains("verdict", "fsync p99 is ");
        assertThat(Streams.fingerprint(stream)).as("the temp file is gone, nothing else touched").isEqualTo(before);
    }

    @Test
    void showsTheStoresOwnHistogramsWhenTheApplicationLoggedThem()
    {
        final Path stream = dir.resolve("logged");
        final StreamConfig config = Streams.config().toBuilder()
            .histogramLog(stream.resolve(StreamConfig.HISTOGRAM_LOG_FILE_NAME),
                Duration.ofMillis(1))
            .build();
        try (StreamStore store = FileStreamStore.open(stream, config))
        {
            Streams.append(store, 1, 500);
            store.flush().join();
            store.writeFullState();
            Streams.append(store, 501, 1000);
            store.flush().join();
        }

        final Cli.Run run = Cli.run("doctor", stream, "--duration", "50ms");
        final Cli.Run json = Cli.run("doctor", stream, "--duration", "50ms", "--json");

        assertThat(run.out()).as(run.toString())
            .contains("store histograms  from " + StreamConfig.HISTOGRAM_LOG_FILE_NAME)
            .contains("flush", "writeFullState")
            .doesNotContain("none recorded");
        assertThat(json.out()).contains("\"storeHistograms\": {", "\"writeFullState\"");
    }

    @Test
    void worksOnAnyDirectoryAndSaysThereIsNoStream()
    {
        final Cli.Run run = Cli.run("doctor", dir, "--duration", "50ms");

        assertThat(run.exitCode()).as(run.toString()).isIn(0, 1);
        assertThat(run.out()).contains("stream  none here (no stream.json in " + dir + ")");
    }

    @Test
    void jsonCarriesTheMeasurementsAndTheVerdict()
    {
        final Cli.Run run = Cli.run("doctor", Streams.empty(dir.resolve("s")), "--duration", "50ms", "--json");

        assertThat(run.exitCode()).as(run.toString()).isIn(0, 1);
        assertThat(run.out())
            .contains("\"filesystem\": {", "\"network\": ", "\"usableBytes\": ")
            .contains("\"writeFdatasync\": {", "\"p99Nanos\": ", "\"readDirect\": ")
            .contains("\"stream\": {", "\"blockFiles\": 0")
            .contains("\"storeHistograms\": \"none recorded")
            .contains("\"verdict\": [", "\"healthy\": " + (run.exitCode() == 0));
    }

    @Test
    void aMissingDirectoryIsAnError() throws IOException
    {
        final Path file = Files.writeString(dir.resolve("f"), "x");

        final Cli.Run missing = Cli.run("doctor", dir.resolve("nope"));
        final Cli.Run notADirectory = Cli.run("doctor", file);

        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("no such directory: " + dir.resolve("nope"));
        assertThat(notADirectory.exitCode()).isEqualTo(2);
        assertThat(notADirectory.err()).contains("not a directory: " + file);
    }

    @Test
    void aBadDurationIsAUsageError()
    {
        final Cli.Run unparsable = Cli.run("doctor", dir, "--duration", "soon");
        final Cli.Run tooLong = Cli.run("doctor", dir, "--duration", "1h");
        final Cli.Run zero = Cli.run("doctor", dir, "--duration", "0s");

        assertThat(unparsable.exitCode()).isEqualTo(2);
        assertThat(unparsable.err()).contains("'soon' is not a duration");
        assertThat(tooLong.exitCode()).isEqualTo(2);
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).contains("--duration must be more than 0");
    }
}
