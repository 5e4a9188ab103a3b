package io.ferrite.tools;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the {@code --json} output: maps (in insertion order), collections, strings, numbers, booleans and null,
 * pretty-printed with two-space indentation. Output only — the tools never parse JSON, so a library would cost more
 * than these few lines.
 */
final class Json
{
    private static final String INDENT = "  ";

    private Json()
    {
    }

    /**
     * @return an empty object that keeps its keys in insertion order.
     */
    static Map<String, Object> object()
    {
        return new LinkedHashMap<>();
    }

    static String write(final Object value)
    {
        final StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.toString();
    }

    private static void write(final StringBuilder sb, final Object value, final int depth)
    {
        if (null == value)
        {
            sb.append("null");
        }
        else if (value instanceof Map<?, ?> map)
        {
            writeObject(sb, map, depth);
        }
        else if (value instanceof Collection<?> list)
        {
            writeArray(sb, list, depth);
        }
        else if (value instanceof Number || value instanceof Boolean)
        {
            sb.append(value);
        }
        else
        {
            writeString(sb, value.toString());
        }
    }

    private static void writeObject(final StringBuilder sb, final Map<?, ?> map, final int depth)
    {
        if (map.isEmpty())
        {
            sb.append("{}");
            return;
        }
        sb.append("{\n");
        int i = 0;
        for (final Map.Entry<?, ?> entry : map.entrySet())
        {
            sb.append(INDENT.repeat(depth + 1));
            writeString(sb, String.valueOf(entry.getKey()));
            sb.append(": ");
            write(sb, entry.getValue(), depth + 1);
            sb.append(++i < map.size() ? ",\n" : "\n");
        }
        sb.append(INDENT.repeat(depth)).append('}');
    }

    private static void writeArray(final StringBuilder sb, final Collection<?> list, final int depth)
    {
        if (list.isEmpty())
        {
            sb.append("[]");
            return;
        }
        sb.append("[\n");
        int i = 0;
        for (final Object element : list)
        {
            sb.append(INDENT.repeat(depth + 1));
            write(sb, element, depth + 1);
            sb.append(++i < list.size() ? ",\n" : "\n");
        }
        sb.append(INDENT.repeat(depth)).append(']');
    }

    private static void writeString(final StringBuilder sb, final String s)
    {
        sb.append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
