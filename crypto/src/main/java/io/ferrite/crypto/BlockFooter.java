package io.ferrite.crypto;

/**
 * The metadata a sealed encrypted block carries in plaintext, so state writes, recovery and
 * {@code inspect} never decrypt the block to learn it. Encoded and authenticated by
 * {@link BlockFooterCodec}, which owns the byte layout.
 * <p>
 * A record rather than a flyweight: a footer is decoded once per sealed block (at recovery or
 * inspection, copied straight into the engine's off-heap block index) and encoded once when a block
 * is sealed — never per message — so one small immutable object per block costs nothing, and in
 * exchange it can be handed across threads and compared in tests without aliasing surprises.
 *
 * @param lastChecksum  checksum of the block's last record ("lchk"), as the engine computes it.
 * @param firstSeq      first sequence stored in the block.
 * @param lastSeq       last sequence stored in the block.
 * @param firstTime     timestamp of the first message, epoch nanoseconds.
 * @param lastTime      timestamp of the last message, epoch nanoseconds.
 * @param messageCount  live messages in the block, {@code >= 0}.
 * @param byteCount     message bytes in the block as the stream accounts them, {@code >= 0}.
 * @param dataEndOffset block-file offset just past the last sealed frame, {@code >= 0}.
 * @param frameCount    frames sealed in the block, {@code >= 0}; frame counters ran 0 .. frameCount - 1.
 */
public record BlockFooter(
    long lastChecksum,
    long firstSeq,
    long lastSeq,
    long firstTime,
    long lastTime,
    long messageCount,
    long byteCount,
    long dataEndOffset,
    long frameCount)
{
    /**
     * Rejects negative counts and offsets, which no block can have. Sequences and times are not
     * constrained: an empty or skip-only block has its own conventions, which are the engine's.
     */
    public BlockFooter
    {
        Arguments.requireNonNegative(messageCount, "messageCount");
        Arguments.requireNonNegative(byteCount, "byteCount");
        Arguments.requireNonNegative(dataEndOffset, "dataEndOffset");
        Arguments.requireNonNegative(frameCount, "frameCount");
    }
}
