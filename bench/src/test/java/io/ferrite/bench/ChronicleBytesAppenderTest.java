package io.ferrite.bench;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

final class ChronicleBytesAppenderTest
{
    private static final int PAYLOAD_LENGTH = 128;
    private static final int FILE_LENGTH = 4096;

    private Path directory;

    @BeforeEach
    void createDirectory()
    {
        directory = BenchDirectory.create("chronicle-bytes-test");
    }

    @AfterEach
    void deleteDirectory()
    {
        BenchDirectory.delete(directory);
    }

    @Test
    void copiesThePayloadAndWrapsWhenTheFileIsFull()
    {
        final byte[] payload = Payloads.random(PAYLOAD_LENGTH);
        final int appendsPerFile = FILE_LENGTH / PAYLOAD_LENGTH;
        try (ChronicleBytesAppender appender = new ChronicleBytesAppender(directory, payload, FILE_LENGTH))
        {
            appender.append();
            final byte[] copied = new byte[PAYLOAD_LENGTH];
            appender.bytes().read(copied);
            assertThat(copied).isEqualTo(payload);

            for (int i = 1; i < appendsPerFile; i++)
            {
                appender.append();
            }
            assertThat(appender.bytes().writePosition()).isEqualTo(FILE_LENGTH);

            appender.append();
            assertThat(appender.bytes().writePosition()).isEqualTo(PAYLOAD_LENGTH);
        }
    }
}
