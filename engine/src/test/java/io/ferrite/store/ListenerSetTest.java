package io.ferrite.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ListenerSetTest
{
    private final List<Throwable> reported = new ArrayList<>();
    private final ListenerSet listeners = new ListenerSet("s", reported::add);
    private final List<Long> heard = new ArrayList<>();
    private final StreamListener listener = new StreamListener()
    {
        @Override
        public void onDurable(final long seq)
        {
            heard.add(seq);
        }
    };

    @Test
    void closingARegistrationTwiceRemovesItOnceOnly() throws Exception
    {
        final AutoCloseable first = listeners.add(listener);
        final AutoCloseable second = listeners.add(listener);
        listeners.onDurable(1);
        assertThat(heard).as("registered twice, told twice").containsExactly(1L, 1L);
        first.close();
        first.close();
        listeners.onDurable(2);
        assertThat(heard).as("the second registration stands").endsWith(1L, 2L).hasSize(3);
        second.close();
        listeners.onDurable(3);
        assertThat(heard).hasSize(3);
    }

    @Test
    void aThrowingListenerIsReportedNamingTheStreamAndEventAndStaysRegistered()
    {
        listeners.add(new StreamListener()
        {
            @Override
            public void onRemoved(final long seq)
            {
                throw new IllegalArgumentException("bug");
            }
        });
        listeners.add(listener);
        listeners.onRemoved(7);
        listeners.onRemoved(8);
        listeners.onDurable(9);
        assertThat(reported).hasSize(2);
        assertThat(reported.get(0)).hasMessageContaining("stream s").hasMessageContaining("onRemoved(7)")
            .hasCauseInstanceOf(IllegalArgumentException.class);
        assertThat(heard).as("the others are still told").containsExactly(9L);
    }

    @Test
    void anErrorIsNotSwallowed()
    {
        listeners.add(new StreamListener()
        {
            @Override
            public void onTruncated(final long seq)
            {
                throw new AssertionError("the JVM is in trouble");
            }
        });
        assertThatThrownBy(() -> listeners.onTruncated(1)).isInstanceOf(AssertionError.class);
        assertThat(reported).isEmpty();
    }
}
