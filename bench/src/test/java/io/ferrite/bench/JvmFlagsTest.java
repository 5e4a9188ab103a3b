package io.ferrite.bench;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

final class JvmFlagsTest
{
    @Test
    void surefireArgLineCarriesEveryForkFlag()
    {
        // bench/pom.xml's argLine and JvmFlags list the same flags twice; this is what keeps them equal.
        assertThat(JvmFlags.missingFrom(ManagementFactory.getRuntimeMXBean().getInputArguments())).isEmpty();
    }

    @Test
    void forkFlagsAreSingleTokens()
    {
        for (final String flag : JvmFlags.forkFlags())
        {
            assertThat(flag).doesNotContain(" ").matches("--add-(opens|exports)=\\S+=ALL-UNNAMED|-D\\S+=\\S+");
        }
    }

    @Test
    void includesTheAgronaOpensAndDisablesChronicleAnalytics()
    {
        assertThat(JvmFlags.forkFlags()).contains(
            JvmFlags.OPEN_JDK_INTERNAL_MISC, JvmFlags.OPEN_JAVA_NIO, JvmFlags.DISABLE_CHRONICLE_ANALYTICS);
    }

    @Test
    void namesWhatIsMissing()
    {
        assertThat(JvmFlags.missingFrom(List.of(JvmFlags.OPEN_JAVA_NIO)))
            .contains(JvmFlags.OPEN_JDK_INTERNAL_MISC)
            .doesNotContain(JvmFlags.OPEN_JAVA_NIO);
    }
}
