/**
 * Internal to the engine: a stream's directory and its small files: {@code state.db} snapshots, {@code stream.json},
 * {@code erasures.pending}, the lock.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine.state;
