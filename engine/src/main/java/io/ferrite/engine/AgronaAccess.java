package io.ferrite.engine;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Agrona 2.x reaches {@code jdk.internal.misc.Unsafe}; without the JVM flag it fails deep inside a class initializer
 * with an error that does not say what to do. Check once, up front, and say which flag to add.
 */
final class AgronaAccess
{
    static final String REQUIRED_FLAG = "--add-opens java.base/jdk.internal.misc=ALL-UNNAMED";

    private static volatile boolean verified;

    private AgronaAccess()
    {
    }

    static void verify()
    {
        if (verified)
        {
            return;
        }
        try
        {
            new UnsafeBuffer(new byte[8]).putLong(0, 1L);
            verified = true;
        }
        catch (final LinkageError | RuntimeException ex)
        {
            throw new IllegalStateException("Ferrite needs the JVM flag " + REQUIRED_FLAG + " (Agrona 2.x uses " +
                "jdk.internal.misc.Unsafe); add it to the java command line, surefire argLine or JMH jvmArgs", ex);
        }
    }
}
