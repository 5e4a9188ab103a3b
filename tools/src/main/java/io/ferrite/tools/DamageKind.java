package io.ferrite.tools;

/**
 * What {@code verify} found wrong, in an operator's words.
 */
enum DamageKind
{
    DAMAGED_RECORD("damaged record: its header verifies but its body checksum does not"),
    TAMPERED_RECORD("record body does not authenticate: its checksums verify but its AES-GCM tag does not (altered " +
        "with the checksums recomputed, moved, or sealed under another key)"),
    DAMAGED_TOMBSTONE("damaged tombstone: its header verifies but its body checksum does not, so which messages it " +
        "removed cannot be read"),
    BAD_TOMBSTONE("malformed tombstone: its checksums verify but its body is not a tombstone's (a sequence range and " +
        "flags)"),
    DAMAGED_REGION("damaged region: bytes between valid records that hold no verifiable record"),
    TORN_TAIL("torn tail: the last record(s) were partly written, nothing valid follows"),
    TRUNCATED_FILE("truncated file: shorter than its header declares"),
    BAD_HEADER("block header does not verify"),
    BAD_EPOCH_SLOT("a tombstone epoch slot of the block header does not verify; no record is affected"),
    TAMPERED_FOOTER("block footer does not authenticate (altered, moved from another block, or another key)"),
    BAD_FOOTER("block footer is damaged or disagrees with the block's records"),
    MISSING_FILE("missing block file: state.db lists it"),
    BAD_STATE("state.db is unusable"),
    STATE_MISMATCH("state.db disagrees with the block: no record ends where state.db says, with its last checksum");

    private final String description;

    DamageKind(final String description)
    {
        this.description = description;
    }

    String description()
    {
        return description;
    }
}
