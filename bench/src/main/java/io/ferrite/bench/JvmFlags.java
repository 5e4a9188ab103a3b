package io.ferrite.bench;

import org.openjdk.jmh.annotations.Fork;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags every benchmark JVM needs on JDK 17, one compile-time constant per flag so that
 * {@link BenchmarkDefaults}'s {@code @Fork(jvmArgsAppend = ...)} can name them.
 * <p>
 * Each constant is a single {@code --flag=value} token because JMH passes every array element to the
 * forked {@code java} command as exactly one argument. The same set (in the two-token spelling) is
 * repeated once more in {@code bench/pom.xml} for Surefire's {@code argLine}, where the smoke test runs
 * benchmarks in-process; {@code JvmFlagsTest} fails the build if a flag here is missing there.
 * <p>
 * Verified on JDK 17.0.15 with Agrona 2.6.0 and Chronicle Queue 2026.4 by dropping one flag at a time:
 * the floor fails without {@link #OPEN_JDK_INTERNAL_MISC}; Chronicle fails without
 * {@link #EXPORT_SUN_NIO_CH} or {@link #OPEN_JAVA_LANG_REFLECT} and warns without
 * {@link #EXPORT_JDK_INTERNAL_REF}. The rest is Chronicle's documented Java 17 set, kept because its
 * other paths (Wire's generated method writers, the runtime compiler) need them and a peer must not be
 * measured on a half-working configuration.
 */
public final class JvmFlags
{
    /** Agrona 2.x reaches {@code jdk.internal.misc.Unsafe}; without it {@code UnsafeBuffer} fails to load. */
    public static final String OPEN_JDK_INTERNAL_MISC = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED";

    /** Chronicle Bytes reads {@code ByteBuffer} internals; Ferrite itself needs only the flag above. */
    public static final String OPEN_JAVA_NIO = "--add-opens=java.base/java.nio=ALL-UNNAMED";

    /** Chronicle releases mapped and native memory through {@code jdk.internal.ref.Cleaner}; without it, a warning. */
    public static final String EXPORT_JDK_INTERNAL_REF = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";

    /** Chronicle Bytes maps files through {@code sun.nio.ch.FileChannelImpl.map0}; without it, no queue. */
    public static final String EXPORT_SUN_NIO_CH = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED";

    /** Chronicle Core's {@code UnsafeMemory} is built on {@code sun.misc.Unsafe}. */
    public static final String EXPORT_SUN_MISC = "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED";

    /** Chronicle Wire compiles generated method writers at run time through javac's file manager. */
    public static final String EXPORT_JAVAC_FILE = "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED";

    /** Chronicle's runtime compiler reaches javac internals reflectively. */
    public static final String OPEN_JAVAC = "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED";

    /** Chronicle Core reads private fields of {@code String}, {@code Thread} and friends. */
    public static final String OPEN_JAVA_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";

    /** Chronicle Core makes JDK members accessible through {@code java.lang.reflect}; without it, no mapping. */
    public static final String OPEN_JAVA_LANG_REFLECT = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED";

    /** Chronicle Wire reaches into {@code java.io} serialisation internals. */
    public static final String OPEN_JAVA_IO = "--add-opens=java.base/java.io=ALL-UNNAMED";

    /** Chronicle Wire reads internals of {@code java.util} collections. */
    public static final String OPEN_JAVA_UTIL = "--add-opens=java.base/java.util=ALL-UNNAMED";

    /** Chronicle ships an analytics client that phones home; a benchmark JVM must not make network calls. */
    public static final String DISABLE_CHRONICLE_ANALYTICS = "-Dchronicle.analytics.disable=true";

    /** Keep Chronicle's informational banners out of the measured JVM's console. */
    public static final String QUIET_LOGGING = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn";

    private JvmFlags()
    {
    }

    /**
     * The flags exactly as the forked benchmark JVMs receive them, read back from the one {@code @Fork}
     * annotation so that launchers (the latency harness, the smoke test) cannot disagree with it.
     *
     * @return the fork flags, in the order they are passed.
     */
    public static List<String> forkFlags()
    {
        return List.of(BenchmarkDefaults.class.getAnnotation(Fork.class).jvmArgsAppend());
    }

    /**
     * @param jvmArguments arguments a JVM was started with, as {@code RuntimeMXBean.getInputArguments()}
     *                     reports them (the launcher folds {@code --add-opens x} into {@code --add-opens=x}).
     * @return the {@link #forkFlags()} absent from them, empty when none is.
     */
    public static List<String> missingFrom(final List<String> jvmArguments)
    {
        final List<String> missing = new ArrayList<>();
        for (final String flag : forkFlags())
        {
            if (!jvmArguments.contains(flag))
            {
                missing.add(flag);
            }
        }

        return missing;
    }

    /**
     * Fails fast, naming the flags to add, when this JVM was started without all of {@link #forkFlags()}:
     * for mains that run Agrona or Chronicle in their own JVM rather than in a JMH fork.
     *
     * @throws IllegalStateException listing every missing flag.
     */
    public static void requirePresent()
    {
        final List<String> missing = missingFrom(ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (!missing.isEmpty())
        {
            throw new IllegalStateException(
                "this JVM needs " + String.join(" ", missing) +
                " (all bench flags are in bench/target/jvm.args: run java @bench/target/jvm.args ...)");
        }
    }
}
