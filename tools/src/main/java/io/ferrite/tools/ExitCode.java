package io.ferrite.tools;

/**
 * The exit codes every command returns, documented in each command's help.
 */
final class ExitCode
{
    /** The command did what was asked and found nothing wrong. */
    static final int OK = 0;
    /** The command ran to the end and found problems: damage, a failed check, or nothing matching the request. */
    static final int PROBLEMS = 1;
    /** A usage error, or an I/O error that stopped the command before it could finish. */
    static final int ERROR = 2;

    private ExitCode()
    {
    }
}
