package io.ferrite.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * The {@code ferrite} command line: one picocli subcommand per class. Run it through the {@code ferrite} launcher at
 * the repository root, or {@code java -jar tools/target/ferrite-cli.jar} (the jar's manifest carries the
 * {@code Add-Opens} that Agrona 2.x needs).
 * <p>
 * Embeddable and testable in-process: {@code new CommandLine(new FerriteCli()).setOut(out).setErr(err).execute(args)}
 * returns the exit code; nothing calls {@link System#exit} except {@link #main}.
 */
@Command(
    name = "ferrite",
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = "Look inside, check, diagnose, back up and restore Ferrite message streams, and run the demo.",
    subcommands = {
        DemoCommand.class,
        InspectCommand.class,
        VerifyCommand.class,
        DumpCommand.class,
        DoctorCommand.class,
        BackupCommand.class,
        RestoreCommand.class,
        CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:ok",
        "1:problems found (damage, a failed check, nothing matched)",
        "2:usage error, or an I/O error that stopped the command (the message on stderr names the file)"
    },
    footerHeading = "%n",
    footer = "Benchmarks are run by the launcher script, not this jar: ferrite bench [--quick] [JMH options]")
public final class FerriteCli implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new FerriteCli()).execute(args));
    }

    /**
     * No subcommand: say which exist.
     */
    @Override
    public Integer call()
    {
        spec.commandLine().getErr().println("ferrite: a command is required");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.ERROR;
    }
}
