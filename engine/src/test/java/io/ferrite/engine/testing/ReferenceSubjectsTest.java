package io.ferrite.engine.testing;

import io.ferrite.engine.index.Subjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ReferenceSubjects} follows the rules as written, case by case; and the engine's matcher agrees with it over
 * seeded random filters and subjects.
 */
class ReferenceSubjectsTest
{
    @ParameterizedTest(name = "{0} ~ {1}: {2}")
    @CsvSource({
        "a, a, true",
        "a, b, false",
        "a, a.b, false",
        "a.b, a, false",
        "ab, a, false",
        "a, ab, false",
        "a.b.c, a.b.c, true",
        "a.b.c, a.b.d, false",
        "*, a, true",
        "*, a.b, false",
        "a.*, a, false",
        "a.*, a.b, true",
        "a.*, a.b.c, false",
        "*.b, a.b, true",
        "*.b, a.c, false",
        "a.*.c, a.b.c, true",
        "a.*.c, a.b.d, false",
        "*.*, a.b, true",
        "*.*, a, false",
        ">, a, true",
        ">, a.b.c, true",
        "a.>, a, false",
        "a.>, a.b, true",
        "a.>, a.b.c.d, true",
        "a.>, b.c, false",
        "*.>, a, false",
        "*.>, a.b, true",
        "a.*.>, a.b, false",
        "a.*.>, a.b.c, true",
        "orders.eu, orders.eu.1, false",
        "orders.>, orders, false",
    })
    void followsTheRules(final String filter, final String subject, final boolean expected)
    {
        assertThat(ReferenceSubjects.matches(filter, subject)).isEqualTo(expected);
    }

    @Test
    void theEngineMatcherAgreesOnRandomFiltersAndSubjects()
    {
        final SplittableRandom random = new SplittableRandom(0x5EB7EC75L);
        final String[] tokens = {"a", "b", "ab", "orders", "x1"};
        for (int i = 0; i < 20_000; i++)
        {
            final String subject = randomSubject(random, tokens);
            final StringBuilder filter = new StringBuilder();
            final int length = 1 + random.nextInt(4);
            for (int t = 0; t < length; t++)
            {
                if (t > 0)
                {
                    filter.append('.');
                }
                final int pick = random.nextInt(10);
                if (pick == 0 && t == length - 1)
                {
                    filter.append('>');
                }
                else if (pick < 3)
                {
                    filter.append('*');
                }
                else
                {
                    filter.append(tokens[random.nextInt(tokens.length)]);
                }
            }
            Subjects.validateFilter(filter.toString());
            assertThat(Subjects.matches(filter.toString(), subject)).as("%s ~ %s", filter, subject)
                .isEqualTo(ReferenceSubjects.matches(filter.toString(), subject));
        }
    }

    private static String randomSubject(final SplittableRandom random, final String[] tokens)
    {
        final StringBuilder subject = new StringBuilder(tokens[random.nextInt(tokens.length)]);
        for (int t = random.nextInt(4); t > 0; t--)
        {
            subject.append('.').append(tokens[random.nextInt(tokens.length)]);
        }
        return subject.toString();
    }
}
