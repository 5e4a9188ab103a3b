package io.ferrite.engine.testing;

import org.junit.jupiter.params.provider.Arguments;

import java.util.Arrays;
import java.util.function.ToLongFunction;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The seeds a randomized campaign (crash, power loss) runs with. A campaign tuned on one seed can pass on it for good
 * and still fail on the next: {@code mvn verify -Psoak} runs each campaign on {@value #SOAK_SEEDS_DEFAULT} seeds (or
 * {@code -Dferrite.soak.seeds=N}), while {@code verify} runs the campaign's base seed, and a seed given on the command
 * line runs alone, to replay a failure.
 */
public final class CampaignSeeds
{
    /** Seeds per campaign in soak runs. */
    public static final String SOAK_SEEDS = "ferrite.soak.seeds";
    public static final int SOAK_SEEDS_DEFAULT = 10;

    /** Spreads the derived seeds over the whole range, so neighbouring campaigns share no prefix of draws. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private CampaignSeeds()
    {
    }

    /**
     * @return whether this is a soak run ({@code -Psoak}, which sets {@code -Dferrite.soak=true}).
     */
    public static boolean soak()
    {
        return Boolean.getBoolean("ferrite.soak");
    }

    /**
     * @return one JUnit argument pair (value, seed) for each of {@code values} and each of its {@link #seeds}: the
     * parameters of a campaign run per stream mode.
     */
    public static <T> Stream<Arguments> perValue(
        final T[] values, final String property, final ToLongFunction<T> base)
    {
        return Arrays.stream(values).flatMap(
            (value) -> seeds(property, base.applyAsLong(value)).mapToObj((seed) -> Arguments.of(value, seed)));
    }

    /**
     * @param property the campaign's replay property, e.g. {@code ferrite.powerloss.seed}.
     * @param base     the campaign's own seed, the first of every soak run.
     * @return the seed given with {@code -D<property>} alone; else, in a soak run, {@code base} and the seeds derived
     * from it; else {@code base}.
     */
    public static LongStream seeds(final String property, final long base)
    {
        final Long given = Long.getLong(property);
        if (null != given)
        {
            return LongStream.of(given);
        }
        final int count = soak() ? Integer.getInteger(SOAK_SEEDS, SOAK_SEEDS_DEFAULT) : 1;
        if (count < 1)
        {
            throw new IllegalArgumentException(SOAK_SEEDS + " must be at least 1: " + count);
        }
        return LongStream.range(0, count).map((k) -> base + k * GOLDEN_GAMMA);
    }
}
