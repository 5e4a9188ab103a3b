package io.ferrite.store;

/**
 * Receives a zero-copy view of one message. The view is only valid inside the callback: it is a flyweight re-pointed
 * at the next message read by the same thread, and its buffer is the store's mapped memory. The store keeps those
 * bytes as they are until the callback returns: a block is unmapped, and an erased record overwritten, only once
 * every callback that may hold it returned. So a callback must not erase or truncate in its own store (refused), and
 * one that blocks holds back the space of deleted blocks and the erasures begun meanwhile (and, for at most 10 s, a
 * truncation and every append of the store). A call of its own store that takes the append lock — an append,
 * {@code tryClaim}, {@code appendAt}, a skip, {@code remove}, a purge, {@code compact}, {@code updateLimits} — or a
 * query ({@code numPending}, {@code subjects}, {@code filteredState}, {@code sequenceAt}) made while another thread's
 * truncation waits for the callback to return is refused with an {@link IllegalStateException}, having done nothing,
 * rather than wait for that truncation, which waits for the callback: make it after the callback returned. Not refused,
 * so best not made from a callback: a wait for a force ({@code flush().join()}, an {@code ALWAYS} commit, an append
 * waiting for room under {@code maxUnforcedBytes}) and a {@code snapshot}, which such a truncation holds up, and which
 * hold it up in turn, for those 10 s. The memory store, whose callbacks run under its read lock, refuses every write
 * from a callback to its own store.
 */
@FunctionalInterface
public interface MessageHandler
{
    void onMessage(MessageView message);
}
