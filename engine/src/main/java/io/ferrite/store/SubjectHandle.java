package io.ferrite.store;

/**
 * A subject validated once by {@link StreamStore#subject(String)}, for the zero-allocation appends (the
 * {@code append(SubjectHandle, DirectBuffer, ...)} overload of {@link StreamStore}, and {@link StreamStore#tryClaim}).
 * Obtain one per subject at start-up and keep it: each append with it skips the validation, encoding and lookup a
 * {@code String} subject costs on a cache miss.
 * <p>
 * A handle belongs to the store instance that made it: passing it to another store, or to the same stream reopened,
 * is an {@link IllegalArgumentException}. Immutable as seen by callers; any thread may use it.
 */
public interface SubjectHandle
{
    /**
     * @return the subject, as given to {@link StreamStore#subject(String)}.
     */
    String subject();
}
