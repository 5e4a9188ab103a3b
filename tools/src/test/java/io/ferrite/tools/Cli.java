package io.ferrite.tools;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the command line in-process, exactly as {@code main} would but with captured output.
 */
final class Cli
{
    private Cli()
    {
    }

    /**
     * What one run printed and returned.
     */
    record Run(int exitCode, String out, String err)
    {
        @Override
        public String toString()
        {
            return "exit " + exitCode + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    static Run run(final Object... args)
    {
        final List<String> strings = new ArrayList<>();
        for (final Object arg : args)
        {
            strings.add(arg instanceof Path path ? path.toString() : String.valueOf(arg));
        }
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exitCode = new CommandLine(new FerriteCli())
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(strings.toArray(String[]::new));
        return new Run(exitCode, out.toString(), err.toString());
    }
}
