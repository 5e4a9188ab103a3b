package io.ferrite.tools;

/**
 * A failure a command reports as one line on stderr and an exit code, without a stack trace. The message names the
 * file involved and says what to do about it.
 */
final class ToolException extends RuntimeException
{
    private final int exitCode;

    private ToolException(final String message, final int exitCode)
    {
        super(message);
        this.exitCode = exitCode;
    }

    /**
     * @return a failure that stops the command with {@link ExitCode#ERROR}.
     */
    static ToolException error(final String message)
    {
        return new ToolException(message, ExitCode.ERROR);
    }

    int exitCode()
    {
        return exitCode;
    }
}
