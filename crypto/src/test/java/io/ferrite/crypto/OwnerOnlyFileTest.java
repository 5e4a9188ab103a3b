package io.ferrite.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secret file appears complete and owner-only, or not at all.
 */
class OwnerOnlyFileTest
{
    @TempDir
    Path dir;

    @Test
    void publishesExactContentsAsOwnerReadWriteOnly() throws IOException
    {
        final Path target = dir.resolve("secret");

        OwnerOnlyFile.createAtomically(target, new byte[] {1, 2, 3});

        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(dir))
        {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void aFailedPublishRemovesItsTemporaryFile() throws IOException
    {
        // Renaming a file over a non-empty directory fails after the temp file was written.
        final Path target = Files.createDirectory(dir.resolve("occupied"));
        Files.write(target.resolve("inside"), new byte[] {9});

        assertThatThrownBy(() -> OwnerOnlyFile.createAtomically(target, new byte[] {1, 2, 3}))
            .isInstanceOf(IOException.class);

        try (Stream<Path> files = Files.list(dir))
        {
            assertThat(files).containsExactly(target);
        }
    }
}
