package io.ferrite.engine.index;

import io.ferrite.store.SubjectRules;

/**
 * NATS subject rules as the engine calls them; the rules themselves are drawn once, in the API's {@link SubjectRules},
 * so every store validates and matches alike.
 */
public final class Subjects
{
    private Subjects()
    {
    }

    /**
     * @throws IllegalArgumentException naming the subject and the rule it breaks.
     */
    public static void validateSubject(final String subject)
    {
        SubjectRules.validateSubject(subject);
    }

    /**
     * @throws IllegalArgumentException naming the filter and the rule it breaks.
     */
    public static void validateFilter(final String filter)
    {
        SubjectRules.validateFilter(filter);
    }

    /**
     * @return whether {@code filter} matches every subject: {@code >}.
     */
    public static boolean matchesAll(final String filter)
    {
        return SubjectRules.matchesAll(filter);
    }

    public static boolean isLiteral(final String filter)
    {
        return SubjectRules.isLiteral(filter);
    }

    /**
     * @param subject a validated subject; for a stored one, an {@link org.agrona.AsciiSequenceView} over the record, so
     *                matching allocates nothing.
     * @return whether the validated {@code filter} matches {@code subject}.
     */
    public static boolean matches(final String filter, final CharSequence subject)
    {
        return SubjectRules.matches(filter, subject);
    }
}
