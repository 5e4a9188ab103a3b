package io.ferrite.engine.testing;

/**
 * The subject-filter rules written once for tests, as a reference the engine's matcher is checked against: it calls
 * no production code, so a bug there cannot hide in the oracle too.
 * <p>
 * Rules (docs/ENGINE.md, NATS): a subject and a filter are tokens separated by {@code '.'}; a filter token {@code *}
 * matches exactly one subject token, a final filter token {@code >} matches one or more subject tokens, and any other
 * token matches only an equal token.
 */
public final class ReferenceSubjects
{
    private ReferenceSubjects()
    {
    }

    /**
     * @param filter  a valid filter ({@code >} only as its last token).
     * @param subject a valid subject (no wildcards, no empty token).
     * @return whether {@code filter} matches {@code subject}.
     */
    public static boolean matches(final String filter, final String subject)
    {
        final String[] filterTokens = filter.split("\\.", -1);
        final String[] subjectTokens = subject.split("\\.", -1);
        for (int i = 0; i < filterTokens.length; i++)
        {
            final String token = filterTokens[i];
            if (">".equals(token) && i == filterTokens.length - 1)
            {
                return subjectTokens.length > i;
            }
            if (i >= subjectTokens.length)
            {
                return false;
            }
            if (!"*".equals(token) && !token.equals(subjectTokens[i]))
            {
                return false;
            }
        }
        return filterTokens.length == subjectTokens.length;
    }
}
