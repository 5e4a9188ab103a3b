/**
 * Internal to the engine: the read-only view of a stream that another process holds open for writing
 * ({@code FileStreamStore.openReadOnly}). It maps the writer's positions file and the block files read-only, indexes
 * the records it verified, and never opens {@code LOCK} nor writes any file of the stream.
 * <p>
 * Not an API: public types here are public only so that other engine packages can reach them, and may change in any
 * release.
 */
package io.ferrite.engine.view;
