package io.ferrite.tools;

import java.io.PrintWriter;

/**
 * The classic dump: offset, sixteen bytes in hex, the same bytes as ASCII.
 * <pre>
 * 00000000  6f 72 64 65 72 20 30 30  30 30 34 32 20 2e 2e 2e  |order 000042 ...|
 * </pre>
 */
final class HexDump
{
    private static final int ROW = 16;

    private HexDump()
    {
    }

    static void print(final PrintWriter out, final String indent, final byte[] bytes)
    {
        for (int row = 0; row < bytes.length; row += ROW)
        {
            final StringBuilder line = new StringBuilder(indent).append(Units.format("%08x ", row));
            final StringBuilder ascii = new StringBuilder(ROW);
            for (int i = row; i < row + ROW; i++)
            {
                line.append(i - row == ROW / 2 ? "  " : " ");
                if (i < bytes.length)
                {
                    final int b = bytes[i] & 0xFF;
                    line.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xF, 16));
                    ascii.append(b >= 0x20 && b < 0x7F ? (char)b : '.');
                }
                else
                {
                    line.append("  ");
                }
            }
            out.println(line.append("  |").append(ascii).append('|'));
        }
    }
}
