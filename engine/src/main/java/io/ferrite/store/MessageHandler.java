package io.ferrite.store;

/**
 * Receives a zero-copy view of one message. The view is only valid inside the callback: it is a flyweight re-pointed
 * at the next message read by the same thread, and its buffer is the store's mapped memory.
 */
@FunctionalInterface
public interface MessageHandler
{
    void onMessage(MessageView message);
}
