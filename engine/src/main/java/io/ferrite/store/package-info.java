/**
 * Ferrite's API: what an application may touch. {@link io.ferrite.store.StreamStore} and its values, configuration,
 * exceptions and the {@link io.ferrite.store.StorageIO} hook for durability. It depends on no engine package; the only
 * other Ferrite package it names is {@code io.ferrite.format}, for the record layout that
 * {@link io.ferrite.store.MessageView} reads and the limits {@link io.ferrite.store.StreamConfig} checks.
 * <p>
 * Open a stream with {@code io.ferrite.engine.FileStreamStore.open(...)}.
 */
package io.ferrite.store;
