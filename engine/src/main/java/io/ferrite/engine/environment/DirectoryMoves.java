package io.ferrite.engine.environment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The one rename every create and delete of a stream turns on: a seam so tests can make it fail before or after it
 * took effect, and prove the catalog in memory and the root on disk still agree.
 */
@FunctionalInterface
public interface DirectoryMoves
{
    /** An atomic rename within the root. */
    DirectoryMoves ATOMIC = (source, target) -> Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);

    /**
     * Rename {@code source} to {@code target} atomically.
     *
     * @throws IOException when it fails; it may have taken effect or not, and the caller looks.
     */
    void move(Path source, Path target) throws IOException;
}
