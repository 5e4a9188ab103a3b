package io.ferrite.store;

import io.ferrite.format.RecordDescriptor;

/**
 * NATS subject rules, shared by every {@link StreamStore}: a subject is dot-separated, non-empty tokens of printable
 * ASCII without white space; a filter may also use {@code *} as a whole token (exactly one token) and {@code >} as the
 * last token (one or more tokens). Matching reads the subject in place ({@link CharSequence}), so a store matching
 * stored subject bytes through a view allocates nothing.
 */
public final class SubjectRules
{
    public static final char SEPARATOR = '.';
    public static final char SINGLE_WILDCARD = '*';
    public static final char TAIL_WILDCARD = '>';

    private SubjectRules()
    {
    }

    /**
     * @throws IllegalArgumentException naming the subject and the rule it breaks.
     */
    public static void validateSubject(final String subject)
    {
        validate(subject, "subject", false);
    }

    /**
     * @throws IllegalArgumentException naming the filter and the rule it breaks.
     */
    public static void validateFilter(final String filter)
    {
        validate(filter, "filter", true);
    }

    /**
     * @return whether {@code filter} matches every subject: {@code >}.
     */
    public static boolean matchesAll(final String filter)
    {
        return filter.length() == 1 && filter.charAt(0) == TAIL_WILDCARD;
    }

    public static boolean isLiteral(final String filter)
    {
        return filter.indexOf(SINGLE_WILDCARD) < 0 && filter.indexOf(TAIL_WILDCARD) < 0;
    }

    /**
     * @param subject a validated subject; for a stored one, an {@link org.agrona.AsciiSequenceView} over the record, so
     *                matching allocates nothing.
     * @return whether the validated {@code filter} matches {@code subject}.
     */
    public static boolean matches(final String filter, final CharSequence subject)
    {
        final int filterLength = filter.length();
        final int length = subject.length();
        int f = 0;
        int s = 0;
        while (f < filterLength)
        {
            final char fc = filter.charAt(f);
            final boolean wholeToken = (f == 0 || filter.charAt(f - 1) == SEPARATOR) &&
                (f == filterLength - 1 || filter.charAt(f + 1) == SEPARATOR);
            if (wholeToken && fc == TAIL_WILDCARD)
            {
                return s < length;
            }
            if (wholeToken && fc == SINGLE_WILDCARD)
            {
                if (s >= length || subject.charAt(s) == SEPARATOR)
                {
                    return false;
                }
                while (s < length && subject.charAt(s) != SEPARATOR)
                {
                    s++;
                }
                f++;
                continue;
            }
            if (s >= length || subject.charAt(s) != fc)
            {
                return false;
            }
            f++;
            s++;
        }
        return s == length;
    }

    private static void validate(final String value, final String what, final boolean wildcardsAllowed)
    {
        if (null == value)
        {
            throw new IllegalArgumentException(what + " must not be null");
        }
        final int length = value.length();
        if (length == 0 || length > RecordDescriptor.MAX_SUBJECT_LENGTH)
        {
            throw new IllegalArgumentException(what + " length must be in [1, 65535]: " + length);
        }
        int tokenStart = 0;
        for (int i = 0; i <= length; i++)
        {
            if (i == length || value.charAt(i) == SEPARATOR)
            {
                if (i == tokenStart)
                {
                    throw new IllegalArgumentException(what + " has an empty token at index " + i + ": '" + value +
                        "'");
                }
                final int tokenLength = i - tokenStart;
                final char first = value.charAt(tokenStart);
                if (first == SINGLE_WILDCARD || first == TAIL_WILDCARD)
                {
                    if (!wildcardsAllowed && tokenLength == 1)
                    {
                        throw new IllegalArgumentException(
                            what + " must not contain wildcard '" + first + "' (use it in a filter): '" + value + "'");
                    }
                    if (wildcardsAllowed && tokenLength == 1 && first == TAIL_WILDCARD && i != length)
                    {
                        throw new IllegalArgumentException(
                            what + " may use '>' only as its last token: '" + value + "'");
                    }
                }
                tokenStart = i + 1;
                continue;
            }
            final char c = value.charAt(i);
            if (c <= ' ' || c > '~')
            {
                throw new IllegalArgumentException(what + " must be printable ASCII without white space, found " +
                    String.format("U+%04X", (int)c) + " at index " + i + ": '" + value + "'");
            }
            if ((c == SINGLE_WILDCARD || c == TAIL_WILDCARD) && (i != tokenStart || (i + 1 < length &&
                value.charAt(i + 1) != SEPARATOR)))
            {
                throw new IllegalArgumentException(
                    what + " may use '" + c + "' only as a whole token, at index " + i + ": '" + value + "'");
            }
        }
    }
}
