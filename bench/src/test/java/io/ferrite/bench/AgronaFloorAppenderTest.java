package io.ferrite.bench;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class AgronaFloorAppenderTest
{
    private static final int PAYLOAD_LENGTH = 128;
    private static final int FILE_LENGTH = 4096;

    private Path directory;

    @BeforeEach
    void createDirectory()
    {
        directory = BenchDirectory.create("floor-test");
    }

    @AfterEach
    void deleteDirectory()
    {
        BenchDirectory.delete(directory);
    }

    @Test
    void recordIsLengthPayloadAndChecksumPaddedToEightBytes()
    {
        assertThat(AgronaFloorAppender.recordLength(128)).isEqualTo(136);
        assertThat(AgronaFloorAppender.recordLength(32)).isEqualTo(40);
        assertThat(AgronaFloorAppender.recordLength(1)).isEqualTo(16);
    }

    @Test
    void writesLengthPayloadAndCrc32cOfThePayload()
    {
        final byte[] payload = Payloads.random(PAYLOAD_LENGTH);
        try (AgronaFloorAppender appender = new AgronaFloorAppender(directory, payload, FILE_LENGTH))
        {
            appender.append();

            final UnsafeBuffer file = appender.file();
            assertThat(file.getInt(AgronaFloorAppender.LENGTH_OFFSET)).isEqualTo(PAYLOAD_LENGTH);
            final byte[] copied = new byte[PAYLOAD_LENGTH];
            file.getBytes(AgronaFloorAppender.PAYLOAD_OFFSET, copied);
            assertThat(copied).isEqualTo(payload);
            assertThat(file.getInt(AgronaFloorAppender.checksumOffset(0, PAYLOAD_LENGTH))).isEqualTo(crc32c(payload));
            assertThat(appender.position()).isEqualTo(AgronaFloorAppender.recordLength(PAYLOAD_LENGTH));
        }
    }

    @Test
    void wrapsToTheStartWhenTheNextRecordWouldNotFit()
    {
        final int recordLength = AgronaFloorAppender.recordLength(PAYLOAD_LENGTH);
        final int recordsPerFile = FILE_LENGTH / recordLength;
        try (AgronaFloorAppender appender = new AgronaFloorAppender(directory, Payloads.random(PAYLOAD_LENGTH),
            FILE_LENGTH))
        {
            for (int i = 0; i < recordsPerFile; i++)
            {
                appender.append();
            }
            assertThat(appender.position()).isEqualTo(recordsPerFile * recordLength);

            appender.append();
            assertThat(appender.position()).isEqualTo(recordLength);
        }
    }

    @Test
    void rejectsAPayloadLargerThanTheFile()
    {
        assertThatThrownBy(() -> new AgronaFloorAppender(directory, new byte[FILE_LENGTH], FILE_LENGTH))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(String.valueOf(FILE_LENGTH));
    }

    private static int crc32c(final byte[] bytes)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int)crc.getValue();
    }
}
