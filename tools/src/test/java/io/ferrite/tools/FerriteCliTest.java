package io.ferrite.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class FerriteCliTest
{
    @Test
    void withoutACommandItListsTheCommandsOnStderrAndExitsWithUsageError()
    {
        final Cli.Run run = Cli.run();

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("a command is required", "demo", "inspect", "verify", "dump", "doctor");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void helpDocumentsTheCommandsAndTheExitCodes()
    {
        final Cli.Run run = Cli.run("--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
            .contains("demo", "inspect", "verify", "dump", "doctor")
            .contains("Exit codes:", "0   ok", "1   problems found", "2   usage error")
            .contains("ferrite bench");
    }

    @ParameterizedTest
    @ValueSource(strings = { "demo", "inspect", "verify", "dump", "doctor" })
    void everyCommandHasHelpWithTheExitCodes(final String command)
    {
        final Cli.Run run = Cli.run(command, "--help");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("Usage: ferrite " + command, "--help", "Exit codes:", "2   usage error");
    }

    @Test
    void helpCommandShowsACommandsHelp()
    {
        final Cli.Run run = Cli.run("help", "verify");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: ferrite verify", "--key-file");
    }

    @Test
    void anUnknownCommandIsAUsageError()
    {
        final Cli.Run run = Cli.run("frobnicate");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("frobnicate");
    }

    @Test
    void aMissingArgumentIsAUsageError()
    {
        final Cli.Run run = Cli.run("inspect");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("Missing required parameter", "DIR");
    }

    @Test
    void versionNamesTheBuild()
    {
        final Cli.Run run = Cli.run("--version");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("ferrite ").contains("JVM:");
    }
}
