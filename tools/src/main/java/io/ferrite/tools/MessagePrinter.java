package io.ferrite.tools;

import io.ferrite.store.StoredMessage;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Prints one message for {@code dump}: sequence, time (ISO-8601, UTC, nanoseconds), subject, then headers and payload
 * as text when they are printable UTF-8 and as a hex dump otherwise (or always, with {@code --hex}).
 */
final class MessagePrinter
{
    private static final String INDENT = "  ";

    private final PrintWriter out;
    private final boolean hex;

    MessagePrinter(final PrintWriter out, final boolean hex)
    {
        this.out = out;
        this.hex = hex;
    }

    void print(final StoredMessage message)
    {
        out.println("seq " + message.seq() + "  " + Units.instant(message.timestamp()) + "  " + message.subject());
        printBytes("headers", message.headers());
        printBytes("payload", message.payload());
    }

    private void printBytes(final String label, final byte[] bytes)
    {
        if (bytes.length == 0)
        {
            out.println(INDENT + label + "  none");
            return;
        }
        final String text = hex ? null : printableText(bytes);
        if (null != text)
        {
            out.println(INDENT + label + "  " + Units.bytes(bytes.length) + "  \"" + text + "\"");
            return;
        }
        out.println(INDENT + label + "  " + Units.bytes(bytes.length) + (hex ? "" : ", binary") + ":");
        HexDump.print(out, INDENT + INDENT, bytes);
    }

    /**
     * @return the bytes as one line of text with tabs, newlines and quotes escaped, or null when they are not valid
     * UTF-8 or hold other control characters.
     */
    static String printableText(final byte[] bytes)
    {
        final String text;
        try
        {
            text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
        }
        catch (final CharacterCodingException ex)
        {
            return null;
        }
        final StringBuilder escaped = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                case '"' -> escaped.append("\\\"");
                case '\\' -> escaped.append("\\\\");
                default ->
                {
                    if (Character.isISOControl(c))
                    {
                        return null;
                    }
                    escaped.append(c);
                }
            }
        }
        return escaped.toString();
    }
}
