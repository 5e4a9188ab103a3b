/**
 * The memory store: a {@link io.ferrite.store.StreamStore} held on the heap, with no files, for tests, caches and
 * streams an embedder does not need to keep across restarts. It implements the same contract as the file store and is
 * held to it by the same conformance suite. It depends on the API ({@code io.ferrite.store}) and the record layout
 * ({@code io.ferrite.format}) only, never on the file engine.
 */
package io.ferrite.memory;
