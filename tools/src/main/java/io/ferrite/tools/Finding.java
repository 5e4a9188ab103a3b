package io.ferrite.tools;

import java.util.Map;

/**
 * One line of a verdict.
 */
record Finding(Level level, String message)
{
    enum Level
    {
        /** Healthy. */
        OK,
        /** Worth knowing; not a problem by itself. */
        NOTE,
        /** Needs action; makes the exit code 1. */
        PROBLEM
    }

    static Finding ok(final String message)
    {
        return new Finding(Level.OK, message);
    }

    static Finding note(final String message)
    {
        return new Finding(Level.NOTE, message);
    }

    static Finding problem(final String message)
    {
        return new Finding(Level.PROBLEM, message);
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("level", level.name());
        json.put("message", message);
        return json;
    }

    @Override
    public String toString()
    {
        return level + ": " + message;
    }
}
