package io.ferrite.engine;

import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.index.Subjects;
import io.ferrite.store.SubjectHandle;

import java.nio.charset.StandardCharsets;

/**
 * A {@link SubjectHandle} of one store: the subject validated and encoded once, and the appender's cached
 * {@link SubjectIndex.Entry}, so an append through it does no validation, no encoding and, while the subject holds
 * messages, no map lookup.
 * <p>
 * Threading: made on any thread; {@link #entry} only under the owning store's append lock (the cached entry is
 * written there and read nowhere else).
 */
final class StreamSubject implements SubjectHandle
{
    private final Object owner;
    private final String subject;
    private final byte[] ascii;
    private SubjectIndex.Entry entry;

    StreamSubject(final Object owner, final String subject)
    {
        Subjects.validateSubject(subject);
        this.owner = owner;
        this.subject = subject;
        this.ascii = subject.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * @return {@code handle} as a subject of {@code owner}.
     * @throws IllegalArgumentException when the handle is null or was made by another store.
     */
    static StreamSubject of(final SubjectHandle handle, final Object owner, final String streamName)
    {
        if (null == handle)
        {
            throw new IllegalArgumentException("subject handle must not be null");
        }
        if (!(handle instanceof StreamSubject) || ((StreamSubject)handle).owner != owner)
        {
            throw new IllegalArgumentException("subject handle for '" + handle.subject() + "' was not made by this " +
                "store of stream " + streamName + ": use the handle its subject(String) returned");
        }
        return (StreamSubject)handle;
    }

    @Override
    public String subject()
    {
        return subject;
    }

    /**
     * @return the validated ASCII bytes; not to be modified.
     */
    byte[] ascii()
    {
        return ascii;
    }

    /**
     * @return the subject's index entry, created when the subject holds no message. Under the append lock.
     */
    SubjectIndex.Entry entry(final SubjectIndex index)
    {
        SubjectIndex.Entry current = entry;
        if (null == current || current.isRemoved())
        {
            current = index.entryFor(subject);
            entry = current;
        }
        return current;
    }

    @Override
    public String toString()
    {
        return "SubjectHandle{" + subject + '}';
    }
}
