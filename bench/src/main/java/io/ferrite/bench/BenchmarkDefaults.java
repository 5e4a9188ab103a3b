package io.ferrite.bench;

import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The run settings every benchmark in this module inherits: JMH's {@code @Fork}, {@code @Warmup} and
 * {@code @Measurement} are {@code @Inherited}, and an annotation array cannot be a shared constant, so
 * extending this class is the only way to keep the fork flags in one place.
 * <p>
 * A benchmark that declares its own {@code @Fork} replaces this one entirely and loses the
 * {@link JvmFlags}; do not. Override iteration counts and times on the command line instead
 * ({@code -wi -i -w -r -f}); {@code -jvmArgsAppend} on the command line also replaces these flags, so pass
 * extra JVM options with {@code -jvmArgsPrepend}.
 * <p>
 * The defaults are sized for a 2-core machine: one fork, 3 × 1 s warm-up and 5 × 1 s measurement is long
 * enough for C2 to settle on these small kernels and keeps the whole suite under ten minutes.
 */
@Fork(value = 1, jvmArgsAppend = {
    JvmFlags.OPEN_JDK_INTERNAL_MISC,
    JvmFlags.OPEN_JAVA_NIO,
    JvmFlags.EXPORT_JDK_INTERNAL_REF,
    JvmFlags.EXPORT_SUN_NIO_CH,
    JvmFlags.EXPORT_SUN_MISC,
    JvmFlags.EXPORT_JAVAC_FILE,
    JvmFlags.OPEN_JAVAC,
    JvmFlags.OPEN_JAVA_LANG,
    JvmFlags.OPEN_JAVA_LANG_REFLECT,
    JvmFlags.OPEN_JAVA_IO,
    JvmFlags.OPEN_JAVA_UTIL,
    JvmFlags.DISABLE_CHRONICLE_ANALYTICS,
    JvmFlags.QUIET_LOGGING })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public abstract class BenchmarkDefaults
{
}
