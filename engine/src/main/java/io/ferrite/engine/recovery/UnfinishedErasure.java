package io.ferrite.engine.recovery;

import io.ferrite.engine.block.MessageBlock;

/**
 * An erase whose tombstone reached the disk but whose message bytes did not go (the state write or the overwrite
 * failed, or the process died in between): recovery found the erase tombstone and the message under it still
 * verifying. An erase, once begun, must end with the bytes gone, so the store finishes it at open.
 *
 * @param seq    the erased message's sequence.
 * @param block  the block holding its record.
 * @param offset the record's offset in the block.
 */
public record UnfinishedErasure(long seq, MessageBlock block, int offset)
{
}
