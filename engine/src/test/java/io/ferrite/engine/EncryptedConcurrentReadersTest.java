package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;

/**
 * {@link ConcurrentReadersTest}'s races on an encrypted stream: readers authenticate and decrypt each record in their
 * own thread-local cipher while the appender seals records, rolls blocks and writes footers, and after a reopen while
 * they race to map sealed blocks.
 */
class EncryptedConcurrentReadersTest extends ConcurrentReadersTest
{
    @Override
    StreamMode mode()
    {
        return StreamMode.ENCRYPTED;
    }

    /**
     * Not repeated here: it is about publishing subject state, which encryption does not touch, and with 200,000
     * appends it is the slowest of the three.
     */
    @Override
    void loadLastNeverMissesAMessageOnceOneIsPublished()
    {
    }
}
