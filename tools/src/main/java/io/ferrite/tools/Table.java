package io.ferrite.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table: a header row, columns padded to their widest cell, numeric columns right-aligned. No borders,
 * so output stays greppable and pastes cleanly into tickets.
 */
final class Table
{
    private static final String GAP = "  ";

    private final String[] headers;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();

    Table(final String... headers)
    {
        this.headers = headers.clone();
        this.rightAligned = new boolean[headers.length];
    }

    /**
     * Right-align the given columns (numbers).
     */
    Table alignRight(final int... columns)
    {
        for (final int column : columns)
        {
            rightAligned[column] = true;
        }
        return this;
    }

    Table row(final Object... cells)
    {
        if (cells.length != headers.length)
        {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + headers.length);
        }
        final String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++)
        {
            row[i] = String.valueOf(cells[i]);
        }
        rows.add(row);
        return this;
    }

    boolean isEmpty()
    {
        return rows.isEmpty();
    }

    void print(final PrintWriter out, final String indent)
    {
        final int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++)
        {
            widths[i] = headers[i].length();
        }
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        printRow(out, indent, headers, widths);
        for (final String[] row : rows)
        {
            printRow(out, indent, row, widths);
        }
    }

    private void printRow(final PrintWriter out, final String indent, final String[] cells, final int[] widths)
    {
        final StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < cells.length; i++)
        {
            final String pad = " ".repeat(widths[i] - cells[i].length());
            final boolean last = i == cells.length - 1;
            if (rightAligned[i])
            {
                line.append(pad).append(cells[i]);
            }
            else
            {
                line.append(cells[i]).append(last ? "" : pad);
            }
            if (!last)
            {
                line.append(GAP);
            }
        }
        out.println(line);
    }
}
