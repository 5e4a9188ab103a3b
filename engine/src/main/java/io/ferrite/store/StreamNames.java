package io.ferrite.store;

/**
 * The rule for the name of a stream in a {@link StoreEnvironment}, where the name is the stream's directory under the
 * environment's root: 1 to {@value #MAX_LENGTH} characters out of {@code A-Z a-z 0-9 _ -} ({@link StreamConfig}'s
 * rule, with room left under the file-name limit of 255 bytes for the {@code .<name>.creating} and
 * {@code .<name>.deleting} names a create and a delete pass through). So a name never holds a path separator, never
 * is {@code .} or {@code ..}, never starts with a dot (the environment's own entries do), and means the same file on
 * every file system.
 */
public final class StreamNames
{
    /** Longest name: leaves room for the 10 characters a create or delete adds, under the usual 255-byte limit. */
    public static final int MAX_LENGTH = 200;

    private StreamNames()
    {
    }

    /**
     * @param name a stream name.
     * @return {@code name}, valid.
     * @throws IllegalArgumentException naming the name and the rule it breaks.
     */
    public static String validate(final String name)
    {
        if (null == name || name.isEmpty())
        {
            throw new IllegalArgumentException("stream name must not be empty: '" + name + "'");
        }
        if (name.length() > MAX_LENGTH)
        {
            throw new IllegalArgumentException("stream name must be at most " + MAX_LENGTH + " characters, is " +
                name.length() + ": '" + name.substring(0, 32) + "...'");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0)
        {
            throw new IllegalArgumentException("stream name must not hold a path separator: '" + name + "'");
        }
        if (name.startsWith("."))
        {
            throw new IllegalArgumentException("stream name must not start with a dot (nor be . or ..): '" + name +
                "'");
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (!isAllowed(c))
            {
                throw new IllegalArgumentException("stream name must be 1 to " + MAX_LENGTH + " characters of " +
                    "A-Z, a-z, 0-9, '_' or '-': '" + name + "' has '" + printable(c) + "' at index " + i);
            }
        }
        return name;
    }

    private static boolean isAllowed(final char c)
    {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    private static String printable(final char c)
    {
        return c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int)c) : String.valueOf(c);
    }
}
