package io.ferrite.crypto;

/**
 * Fail-fast argument checks whose messages name the argument and the allowed value, so a misuse
 * reads as such rather than as a provider error three frames down.
 */
final class Arguments
{
    private Arguments()
    {
    }

    static byte[] requireLength(final byte[] value, final int length, final String name)
    {
        if (null == value)
        {
            throw new NullPointerException(name + " must not be null");
        }
        if (value.length != length)
        {
            throw new IllegalArgumentException(
                name + " must be exactly " + length + " bytes, was " + value.length);
        }
        return value;
    }

    static long requireNonNegative(final long value, final String name)
    {
        if (value < 0)
        {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
        return value;
    }
}
