package io.ferrite.engine.block;

import org.junit.jupiter.api.Test;
import sun.misc.Unsafe;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fields every append writes sit at least a cache line (64 bytes) away from every other field of their object, so
 * a tailer reading the block's mapping or the block array never shares a line with them. Field layout is the JVM's
 * choice; this holds it to what the paddings were written for, on the JVM the build runs.
 */
class CacheLinePaddingTest
{
    private static final int CACHE_LINE = 64;

    @Test
    void aBlocksWriteOffsetIsALineAwayFromTheFieldsReadersUse() throws ReflectiveOperationException
    {
        assertLineApart(MessageBlock.class, Set.of("writeOffset"));
    }

    @Test
    void theStreamTotalsAreALineAwayFromTheBlockArrayAndEveryOtherField() throws ReflectiveOperationException
    {
        assertLineApart(StreamIndex.class,
            Set.of("totalsVersion", "msgs", "bytes", "firstSeq", "lastSeq", "firstTime", "lastTime"));
    }

    private static void assertLineApart(final Class<?> type, final Set<String> hot) throws ReflectiveOperationException
    {
        final Unsafe unsafe = unsafe();
        final List<long[]> hotRanges = new ArrayList<>();
        final List<Field> others = new ArrayList<>();
        for (Class<?> level = type; level != Object.class; level = level.getSuperclass())
        {
            for (final Field field : level.getDeclaredFields())
            {
                if (Modifier.isStatic(field.getModifiers()) || field.getName().matches("p\\d{3}"))
                {
                    continue;
                }
                if (hot.contains(field.getName()))
                {
                    final long offset = unsafe.objectFieldOffset(field);
                    hotRanges.add(new long[]{ offset, offset + size(unsafe, field) });
                }
                else
                {
                    others.add(field);
                }
            }
        }
        assertThat(hotRanges).as("hot fields of %s", type.getSimpleName()).hasSize(hot.size());
        assertThat(others).isNotEmpty();
        for (final Field other : others)
        {
            final long start = unsafe.objectFieldOffset(other);
            final long end = start + size(unsafe, other);
            for (final long[] range : hotRanges)
            {
                final long gap = start >= range[1] ? start - range[1] : range[0] - end;
                assertThat(gap).as("bytes between %s.%s (offset %d) and the field at offset %d",
                    type.getSimpleName(), other.getName(), start, range[0]).isGreaterThanOrEqualTo(CACHE_LINE);
            }
        }
    }

    private static long size(final Unsafe unsafe, final Field field)
    {
        final Class<?> type = field.getType();
        if (!type.isPrimitive())
        {
            return unsafe.arrayIndexScale(Object[].class);
        }
        if (type == long.class || type == double.class)
        {
            return 8;
        }
        if (type == int.class || type == float.class)
        {
            return 4;
        }
        return type == short.class || type == char.class ? 2 : 1;
    }

    private static Unsafe unsafe() throws ReflectiveOperationException
    {
        final Field field = Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        return (Unsafe)field.get(null);
    }
}
