package io.ferrite.format;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams written by earlier builds, one fixture per on-disk format ({@link CompatFixture}), still open with every
 * message as it was written, every removal still in force, and take appends — from their {@code state.db} and, with
 * it deleted, rebuilt from their blocks alone. A format change that cannot read an older fixture fails here, before
 * it reaches anyone's data.
 */
final class FormatCompatibilityTest
{
    @TempDir
    Path tmp;

    static Stream<Arguments> fixtures() throws IOException, URISyntaxException
    {
        final Path root = Path.of(Objects.requireNonNull(
            FormatCompatibilityTest.class.getResource("compat"), "no compat fixtures on the class path").toURI());
        final List<Arguments> fixtures = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root))
        {
            dirs.sorted().forEach((dir) ->
            {
                for (final boolean withState : new boolean[]{ true, false })
                {
                    fixtures.add(Arguments.of(dir.getFileName().toString(), dir, withState));
                }
            });
        }
        assertThat(fixtures).as("fixtures under " + root).isNotEmpty();
        return fixtures.stream();
    }

    @ParameterizedTest(name = "{0}, state.db kept: {2}")
    @MethodSource("fixtures")
    void anEarlierFormatOpensWithEveryMessageAndRemovalIntact(
        final String name, final Path fixture, final boolean withState) throws IOException
    {
        final Path dir = copy(fixture, tmp.resolve(name));
        if (!withState)
        {
            Files.delete(dir.resolve("state.db"));
        }
        final boolean encrypted = name.endsWith("-encrypted");
        try (StreamStore store = FileStreamStore.open(dir, CompatFixture.config(encrypted)))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.lost()).as("%s: %s", name, report).isEmpty();
            assertContent(store, name);
            assertThat(store.append("compat.new", null, new byte[]{ 1, 2, 3 }))
                .isEqualTo(CompatFixture.MESSAGES + 1);
        }
        try (StreamStore store = FileStreamStore.open(dir, CompatFixture.config(encrypted)))
        {
            assertContent(store, name + " after an append and a reopen");
            assertThat(store.load(CompatFixture.MESSAGES + 1).payload()).containsExactly(1, 2, 3);
        }
    }

    private static void assertContent(final StreamStore store, final String context)
    {
        long live = 0;
        for (long seq = 1; seq <= CompatFixture.MESSAGES; seq++)
        {
            final StoredMessage message = store.load(seq);
            if (CompatFixture.removed(seq))
            {
                assertThat(message).as("%s: seq %d was removed", context, seq).isNull();
                continue;
            }
            live++;
            assertThat(message).as("%s: seq %d", context, seq).isNotNull();
            assertThat(message.subject()).as("%s: subject of %d", context, seq).isEqualTo(CompatFixture.subject(seq));
            assertThat(message.headers()).as("%s: headers of %d", context, seq)
                .containsExactly(CompatFixture.headers(seq));
            assertThat(message.payload()).as("%s: payload of %d", context, seq)
                .containsExactly(CompatFixture.payload(seq));
        }
        final StreamState state = store.state();
        assertThat(state.msgs()).as(context).isGreaterThanOrEqualTo(live);
        assertThat(state.lastSeq()).as(context).isGreaterThanOrEqualTo(CompatFixture.MESSAGES);
    }

    private static Path copy(final Path from, final Path to) throws IOException
    {
        try (Stream<Path> paths = Files.walk(from))
        {
            paths.forEach((path) ->
            {
                try
                {
                    final Path target = to.resolve(from.relativize(path).toString());
                    if (Files.isDirectory(path))
                    {
                        Files.createDirectories(target);
                    }
                    else
                    {
                        Files.copy(path, target);
                    }
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
        }
        final Path key = to.resolve("stream.key");
        if (Files.exists(key))
        {
            // A checkout does not keep the owner-only mode the store gave the key file.
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        }
        return to;
    }
}
