package io.ferrite.engine.block;

import io.ferrite.engine.index.BlockSubjects;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What a roll needs that can be made before it: the block file (allocated, forced, mapped, every page touched) and
 * the arrays the roll would otherwise allocate under the append lock. Made by {@link BlockPreallocator}'s agent.
 *
 * @param file            the prepared file, renamed into a block by the roll.
 * @param sequenceOffsets zeroed off-heap entries for the new block's sequence table, sized like the previous block's
 *                        span; null when prepared on the append path (the table then gets default ones).
 * @param blockArray      a block array one longer than the store's was expected to be at this roll (see
 *                        {@link StreamIndex#addBlock(MessageBlock, MessageBlock[])}), or null.
 * @param subjects        an empty subject summary sized for as many subjects as the previous block held, or null.
 */
public record PreparedBlock(
    BlockFile.Prepared file, UnsafeBuffer sequenceOffsets, MessageBlock[] blockArray, BlockSubjects subjects)
{
}
