package io.ferrite.store;

/**
 * The rule for the names of {@link NamedTailer named tailers}, the same in every store: 1 to {@value #MAX_LENGTH}
 * characters out of {@code A-Z a-z 0-9 . _ -}, not starting with a dot. A name is a file name in a file store, so
 * the rule keeps out path separators, control characters, {@code .} and {@code ..}, and anything a file system might
 * fold or reject.
 */
public final class TailerNames
{
    /** Long enough for "service.consumer-group.partition" style names, short enough for any file system's names. */
    public static final int MAX_LENGTH = 128;

    private TailerNames()
    {
    }

    /**
     * @param name a tailer name.
     * @return {@code name}, valid.
     * @throws IllegalArgumentException naming the argument and the rule it breaks.
     */
    public static String validate(final String name)
    {
        return validate(name, "tailer name");
    }

    /**
     * The same rule for names of other things; {@code what} names the argument in the error.
     */
    static String validate(final String name, final String what)
    {
        final String problem = problem(name, what);
        if (null != problem)
        {
            throw new IllegalArgumentException(problem);
        }
        return name;
    }

    /**
     * @return whether {@code name} follows the rule: for names found on disk, which may be anything.
     */
    public static boolean isValid(final String name)
    {
        return null == problem(name, "tailer name");
    }

    /**
     * @return what is wrong with {@code name}, or null when it follows the rule.
     */
    static String problem(final String name, final String what)
    {
        if (null == name)
        {
            return what + " must not be null";
        }
        if (name.isEmpty() || name.length() > MAX_LENGTH)
        {
            return what + " must be 1 to " + MAX_LENGTH + " characters long: " + name.length() + " characters";
        }
        if (name.charAt(0) == '.')
        {
            return what + " must not start with '.': " + name;
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' ||
                c == '-'))
            {
                return what + " may hold only A-Z a-z 0-9 . _ -, found " +
                    (Character.isISOControl(c) ? String.format("control character U+%04X", (int)c) : "'" + c + "'") +
                    " at index " + i + (Character.isISOControl(c) ? "" : ": " + name);
            }
        }
        return null;
    }
}
