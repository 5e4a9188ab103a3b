package io.ferrite.store;

/**
 * How a consumer's deliveries are acknowledged, as in JetStream; see {@link ConsumerStore#updateAcks}.
 */
public enum AckPolicy
{
    /**
     * Each message is acknowledged on its own; the ack floor rises to just below the lowest message still pending.
     */
    EXPLICIT,

    /**
     * Acknowledging a message acknowledges every message delivered before it: the ack floor moves to it and every
     * pending message at or below it is dropped.
     */
    ALL,

    /**
     * Nothing is acknowledged: a delivery moves the ack floor with it, nothing is pending, nothing is redelivered.
     */
    NONE
}
