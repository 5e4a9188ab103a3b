package io.ferrite.format;

import io.ferrite.crypto.FrameCipher;

/**
 * The body of a record in an encrypted block: one AES-256-GCM frame per record, so reading one message authenticates
 * and decrypts exactly that message. The record header ({@link RecordDescriptor}) stays plaintext; the sealed body
 * replaces the plaintext body after it.
 * <pre>
 *  sealed body = AES-256-GCM(block key, nonce = prefix | frame counter, AAD = key id | frame counter | record offset)
 *                over the plaintext below, followed by a {@value #TAG_LENGTH}-byte tag
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Timestamp, authenticated copy (64)            |  0
 *  +-------------------------------+---------------+---------------+
 *  |  Subject Length copy (16)     | Type copy (8) | Reserved (8)  |  8
 *  +-------------------------------+---------------+---------------+
 *  |                 Headers Length, authenticated copy            | 12
 *  +---------------------------------------------------------------+
 *  |                 Subject, Headers, Payload ...                 | 16
 *  +---------------------------------------------------------------+
 * </pre>
 * The frame counter is the record's sequence, or for a tombstone its offset in a disjoint domain
 * ({@link FrameCounters}). The header is bound to the body: the sequence and offset through the nonce and associated
 * data, the total length through the ciphertext length, and the timestamp, type and where the subject, headers and
 * payload split through the authenticated copies, compared after decryption. Without the copies, a header whose
 * lengths were shifted and whose checksums were recomputed would hand out authenticated bytes as the wrong fields;
 * without the type, turning a message into a skip record (to make it vanish) would pass.
 */
public final class SealedBodyDescriptor
{
    public static final int TIMESTAMP_OFFSET = 0;
    public static final int SUBJECT_LENGTH_OFFSET = 8;
    public static final int TYPE_OFFSET = 10;
    public static final int RESERVED_OFFSET = 11;
    public static final int HEADERS_LENGTH_OFFSET = 12;

    /** Where the subject starts in the plaintext: the length of the authenticated copies. */
    public static final int PREFIX_LENGTH = 16;

    public static final int TAG_LENGTH = FrameCipher.TAG_LENGTH;

    /** Bytes an encrypted body adds to the plaintext one: the authenticated copies and the tag. */
    public static final int OVERHEAD = PREFIX_LENGTH + TAG_LENGTH;

    private SealedBodyDescriptor()
    {
    }
}
