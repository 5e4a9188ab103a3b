package io.ferrite.bench;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

final class ChronicleQueueAppenderTest
{
    private static final int PAYLOAD_LENGTH = 128;
    private static final int APPENDS = 1000;

    private Path directory;

    @BeforeEach
    void createDirectory()
    {
        directory = BenchDirectory.create("chronicle-queue-test");
    }

    @AfterEach
    void deleteDirectory()
    {
        BenchDirectory.delete(directory);
    }

    @Test
    void eachAppendIsOneExcerptHoldingExactlyThePayload()
    {
        final byte[] payload = Payloads.random(PAYLOAD_LENGTH);
        try (ChronicleQueueAppender appender = new ChronicleQueueAppender(directory, payload))
        {
            for (int i = 0; i < APPENDS; i++)
            {
                appender.append();
            }

            final Bytes<?> excerpt = Bytes.allocateElasticOnHeap(PAYLOAD_LENGTH);
            int excerpts = 0;
            try (ExcerptTailer tailer = appender.queue().createTailer())
            {
                while (tailer.readBytes(excerpt))
                {
                    assertThat(excerpt.toByteArray()).isEqualTo(payload);
                    excerpt.clear();
                    excerpts++;
                }
            }
            finally
            {
                excerpt.releaseLast();
            }

            assertThat(excerpts).isEqualTo(APPENDS);
        }
    }
}
