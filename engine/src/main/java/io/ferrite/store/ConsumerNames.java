package io.ferrite.store;

/**
 * The rule for consumer names, the same in every store and the same as {@link TailerNames}': 1 to
 * {@value TailerNames#MAX_LENGTH} characters out of {@code A-Z a-z 0-9 . _ -}, not starting with a dot. A name is a
 * file name in a file store: no path separators, control characters, {@code .} or {@code ..}.
 */
public final class ConsumerNames
{
    private ConsumerNames()
    {
    }

    /**
     * @param name a consumer name.
     * @return {@code name}, valid.
     * @throws IllegalArgumentException naming the argument and the rule it breaks.
     */
    public static String validate(final String name)
    {
        return TailerNames.validate(name, "consumer name");
    }

    /**
     * @return whether {@code name} follows the rule: a file store lists only such names from its directory, so a stray
     * file ({@code .tmp.state}, a name with a space) is never taken for a consumer.
     */
    public static boolean isValid(final String name)
    {
        return null == TailerNames.problem(name, "consumer name");
    }
}
