package io.ferrite.tools;

import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreFullException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamLockedException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;

/**
 * What every subcommand shares: the writers picocli was given (so tests capture output), and the mapping of failures
 * to one line on stderr and an exit code. No exception escapes to picocli, whose default would print a stack trace
 * and exit 1 — which is reserved for "problems found".
 */
abstract class ToolCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    /**
     * Run the command.
     *
     * @return {@link ExitCode#OK} or {@link ExitCode#PROBLEMS}; failures are thrown.
     */
    protected abstract int execute() throws Exception;

    @Override
    public final Integer call()
    {
        try
        {
            return execute();
        }
        catch (final ToolException ex)
        {
            return fail(ex.getMessage(), ex.exitCode());
        }
        catch (final StoreException ex)
        {
            return fail(ex.getMessage() + advice(ex), ExitCode.ERROR);
        }
        catch (final IOException ex)
        {
            return fail(describe(ex), ExitCode.ERROR);
        }
        catch (final UncheckedIOException ex)
        {
            return fail(describe(ex.getCause()), ExitCode.ERROR);
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            return fail(ex.getMessage(), ExitCode.ERROR);
        }
        catch (final Exception ex)
        {
            err().println("ferrite " + spec.name() + ": unexpected " + ex + " (a bug in ferrite; please report it " +
                "with this trace):");
            ex.printStackTrace(err());
            return ExitCode.ERROR;
        }
        finally
        {
            out().flush();
            err().flush();
        }
    }

    protected final PrintWriter out()
    {
        return spec.commandLine().getOut();
    }

    protected final PrintWriter err()
    {
        return spec.commandLine().getErr();
    }

    private int fail(final String message, final int exitCode)
    {
        err().println("ferrite " + spec.name() + ": " + message);
        return exitCode;
    }

    private static String advice(final StoreException ex)
    {
        if (ex instanceof StoreFullException)
        {
            return " — free space on that filesystem (see `ferrite doctor`)";
        }
        if (ex instanceof CorruptFileException)
        {
            return " — run `ferrite verify` on the stream directory to see the extent of the damage";
        }
        if (ex instanceof StreamLockedException)
        {
            return " — close the application that has it open; `ferrite inspect` and `ferrite verify` work without " +
                "the lock";
        }
        if (ex instanceof StoreIOException)
        {
            return " — check the path, its permissions and the filesystem";
        }
        return "";
    }

    /**
     * @return an I/O failure as one line naming the file and what to do.
     */
    static String describe(final IOException ex)
    {
        if (ex instanceof NoSuchFileException missing)
        {
            return "no such file or directory: " + missing.getFile() + " — check the path";
        }
        if (ex instanceof AccessDeniedException denied)
        {
            return "permission denied: " + denied.getFile() + " — run as a user who may access it, or fix its " +
                "permissions";
        }
        if (ex instanceof FileSystemException fs)
        {
            return "I/O error on " + fs.getFile() + ": " + (null == fs.getReason() ? fs.getMessage() : fs.getReason());
        }
        return "I/O error: " + ex.getMessage();
    }
}
