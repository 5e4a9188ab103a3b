package io.ferrite.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Little-endian reads and writes on byte arrays. Every multi-byte field ferrite-crypto writes is
 * little-endian: it is the native order of the machines Ferrite runs on, so the engine can read the
 * same fields through Agrona buffers without swapping.
 */
final class LittleEndian
{
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian()
    {
    }

    static long getLong(final byte[] src, final int offset)
    {
        return (long)LONG.get(src, offset);
    }

    static void putLong(final byte[] dst, final int offset, final long value)
    {
        LONG.set(dst, offset, value);
    }

    static int getInt(final byte[] src, final int offset)
    {
        return (int)INT.get(src, offset);
    }

    static void putInt(final byte[] dst, final int offset, final int value)
    {
        INT.set(dst, offset, value);
    }

    static int getUnsignedShort(final byte[] src, final int offset)
    {
        return Short.toUnsignedInt((short)SHORT.get(src, offset));
    }

    static void putShort(final byte[] dst, final int offset, final int value)
    {
        SHORT.set(dst, offset, (short)value);
    }
}
