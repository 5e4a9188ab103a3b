/**
 * Encryption primitives for encrypted Ferrite streams. The engine composes them; nothing here
 * knows about messages, blocks on disk or the store's locks.
 *
 * <h2>Key hierarchy</h2>
 * <pre>
 *   caller key (32 B, held by the embedder, never stored)
 *     |  StreamKeyFile: HKDF with a per-file salt, AES-256-GCM wrap
 *     v
 *   stream key (32 B, random, stored wrapped in stream.key)
 *     |  BlockKeys.derive: HKDF-SHA256 with a random 16-byte salt from the block header
 *     v
 *   BlockKey ── data key (AES-256)    -> FrameCipher seals the block's frames
 *            ── MAC key (HMAC-SHA256) -> BlockFooterCodec authenticates the plaintext footer
 *            ── key id (8 B, public)  -> names the key in footers, AAD and nonce audits
 *            ── nonce prefix (4 B)    -> first 4 bytes of every frame nonce
 * </pre>
 *
 * <h2>Division of labour</h2>
 * <ul>
 * <li>{@link io.ferrite.crypto.StreamKeyFile} — create and open {@code stream.key}; a wrong
 * caller key is a {@link io.ferrite.crypto.KeyMismatchException} before anything is decrypted.</li>
 * <li>{@link io.ferrite.crypto.BlockKeys} / {@link io.ferrite.crypto.BlockKey} — a fresh key per
 * block, which is what keeps GCM nonces unique across crashes and rewrites.</li>
 * <li>{@link io.ferrite.crypto.FrameCipher} — AES-256-GCM over bounded frames, so reading one
 * message authenticates and decrypts one frame, never the block.</li>
 * <li>{@link io.ferrite.crypto.BlockFooterCodec} / {@link io.ferrite.crypto.BlockFooter} — the
 * authenticated plaintext footer that lets state writes and recovery skip the ciphertext.</li>
 * </ul>
 * Failures are unchecked {@link io.ferrite.crypto.CryptoException}s; I/O failures stay
 * {@link java.io.IOException}s. Every multi-byte integer these classes write is little-endian.
 */
package io.ferrite.crypto;
