package io.ferrite.engine.state;

/**
 * The fields of {@code stream.json}, format {@value StreamMetadata#FORMAT_VERSION}: JSON name, JSON type and whether
 * a file must have it. {@link StreamMetadata} writes and {@link StreamMetadataReader} reads through this one table, so
 * a field cannot be written as one type and read as another (a stream named {@code 123} used to be written as a
 * number).
 * <p>
 * The limits are optional: they record what the stream was last opened with, for people and tools (the configuration
 * passed to {@code open} is what applies), and format-1 files written before limits existed lack them. When present
 * they are checked like the rest.
 */
enum MetadataField
{
    FORMAT("format", Kind.INT, true),
    NAME("name", Kind.STRING, true),
    BLOCK_SIZE("blockSize", Kind.INT, true),
    MAX_MSG_SIZE("maxMsgSize", Kind.INT, true),
    ENCRYPTED("encrypted", Kind.BOOLEAN, true),
    MAX_MSGS("maxMsgs", Kind.LONG, false),
    MAX_BYTES("maxBytes", Kind.LONG, false),
    MAX_AGE_MILLIS("maxAgeMillis", Kind.LONG, false),
    MAX_MSGS_PER_SUBJECT("maxMsgsPerSubject", Kind.LONG, false),
    DISCARD("discard", Kind.STRING, false);

    /**
     * A field's JSON type; numbers are integers of at most 32 or 64 bits.
     */
    enum Kind
    {
        STRING("a string"),
        INT("an integer of 32 bits"),
        LONG("an integer of 64 bits"),
        BOOLEAN("true or false");

        private final String description;

        Kind(final String description)
        {
            this.description = description;
        }

        String description()
        {
            return description;
        }
    }

    private static final MetadataField[] FIELDS = values();

    private final String jsonName;
    private final Kind kind;
    private final boolean required;

    MetadataField(final String jsonName, final Kind kind, final boolean required)
    {
        this.jsonName = jsonName;
        this.kind = kind;
        this.required = required;
    }

    String jsonName()
    {
        return jsonName;
    }

    Kind kind()
    {
        return kind;
    }

    boolean required()
    {
        return required;
    }

    /**
     * @return the field with this JSON name, or null when format {@value StreamMetadata#FORMAT_VERSION} has none.
     */
    static MetadataField named(final String jsonName)
    {
        for (final MetadataField field : FIELDS)
        {
            if (field.jsonName.equals(jsonName))
            {
                return field;
            }
        }
        return null;
    }

    /**
     * @return every JSON name, in the order they are written.
     */
    static String names()
    {
        final StringBuilder names = new StringBuilder();
        for (final MetadataField field : FIELDS)
        {
            names.append(names.length() == 0 ? "" : ", ").append(field.jsonName);
        }
        return names.toString();
    }
}
