/**
 * Ferrite's API: what an application may touch. {@link io.ferrite.store.StreamStore} and its values, configuration,
 * exceptions and the {@link io.ferrite.store.StorageIO} hook for durability. It depends on no engine package; the only
 * other Ferrite code it names is layout constants: {@code io.ferrite.format} for the record layout that
 * {@link io.ferrite.store.MessageView} reads, and the format constants {@link io.ferrite.store.StreamConfig} checks
 * block sizes against.
 * <p>
 * Open a stream with {@code io.ferrite.engine.FileStreamStore.open(...)} or
 * {@code io.ferrite.memory.MemoryStreamStore.create(...)}, or choose the store by name with
 * {@link io.ferrite.store.StoreProvider#named(String)}.
 */
package io.ferrite.store;
