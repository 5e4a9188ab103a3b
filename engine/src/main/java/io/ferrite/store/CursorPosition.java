package io.ferrite.store;

/**
 * Where a named tailer's cursor stands, as {@link StreamStore#tailers()} lists it.
 *
 * @param name     the cursor's name.
 * @param ackedSeq the last sequence acknowledged, 0 when none was; the tailer resumes at {@code ackedSeq + 1}, or at
 *                 the first message still stored when that is later. Includes acknowledgements not durable yet.
 * @param open     whether a tailer of this name is open now.
 */
public record CursorPosition(String name, long ackedSeq, boolean open)
{
}
