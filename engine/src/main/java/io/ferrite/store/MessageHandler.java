package io.ferrite.store;

/**
 * Receives a zero-copy view of one message. The view is only valid inside the callback: it is a flyweight re-pointed
 * at the next message read by the same thread, and its buffer is the store's mapped memory. The store keeps those
 * bytes as they are until the callback returns: a block is unmapped, and an erased record overwritten, only once
 * every callback that may hold it returned. So a callback must not erase or truncate in its own store (refused), and
 * one that blocks holds back the space of deleted blocks and the erasures begun meanwhile. A query of its own store
 * ({@code numPending}, {@code subjects}, {@code filteredState}, {@code sequenceAt}) made while another thread's
 * truncation waits for the callback to return is refused with an {@link IllegalStateException} rather than wait for
 * that truncation.
 */
@FunctionalInterface
public interface MessageHandler
{
    void onMessage(MessageView message);
}
