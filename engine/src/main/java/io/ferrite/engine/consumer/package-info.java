/**
 * Internal to the engine: consumers' states in a file store — one file per consumer under {@code consumers/}, laid
 * out by {@link io.ferrite.format.ConsumerStateDescriptor} and replaced whole on each write — and the registry that
 * loads, creates, persists and deletes them. The rules of the state itself are the API's
 * ({@link io.ferrite.store.ConsumerTracker}), shared with the memory store.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine.consumer;
