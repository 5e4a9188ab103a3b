package io.ferrite.memory;

import io.ferrite.store.SubjectHandle;

import java.nio.charset.StandardCharsets;

/**
 * A subject validated and encoded once by {@link MemoryStreamStore#subject(String)}, tied to the store that made it.
 */
final class MemorySubject implements SubjectHandle
{
    private final MemoryStreamStore owner;
    private final String subject;
    private final byte[] ascii;

    MemorySubject(final MemoryStreamStore owner, final String subject)
    {
        this.owner = owner;
        this.subject = subject;
        this.ascii = subject.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String subject()
    {
        return subject;
    }

    MemoryStreamStore owner()
    {
        return owner;
    }

    byte[] ascii()
    {
        return ascii;
    }

    @Override
    public String toString()
    {
        return "SubjectHandle[" + subject + "]";
    }
}
