package io.ferrite.store;

import java.util.Objects;

/**
 * What a {@link ConsumerStore} needs to know of its consumer: the {@link AckPolicy}. Delivery policies, filters,
 * ack waits and delivery limits are the embedder's business; the store keeps the state they produce.
 * <pre>
 * ConsumerStore billing = store.consumer("billing", ConsumerConfig.builder().ackPolicy(AckPolicy.ALL).build());
 * </pre>
 */
public final class ConsumerConfig
{
    /** JetStream's default, and the one every acknowledgement style can be built on. */
    public static final AckPolicy ACK_POLICY_DEFAULT = AckPolicy.EXPLICIT;

    private final AckPolicy ackPolicy;

    private ConsumerConfig(final Builder builder)
    {
        this.ackPolicy = builder.ackPolicy;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    public AckPolicy ackPolicy()
    {
        return ackPolicy;
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof ConsumerConfig that && ackPolicy == that.ackPolicy;
    }

    @Override
    public int hashCode()
    {
        return ackPolicy.hashCode();
    }

    @Override
    public String toString()
    {
        return "ConsumerConfig[ackPolicy=" + ackPolicy + "]";
    }

    /**
     * Builds a {@link ConsumerConfig}; every setting has a default.
     */
    public static final class Builder
    {
        private AckPolicy ackPolicy = ACK_POLICY_DEFAULT;

        private Builder()
        {
        }

        /**
         * @param ackPolicy how deliveries are acknowledged; {@link #ACK_POLICY_DEFAULT} when not set.
         */
        public Builder ackPolicy(final AckPolicy ackPolicy)
        {
            this.ackPolicy = Objects.requireNonNull(ackPolicy, "ackPolicy");
            return this;
        }

        public ConsumerConfig build()
        {
            return new ConsumerConfig(this);
        }
    }
}
