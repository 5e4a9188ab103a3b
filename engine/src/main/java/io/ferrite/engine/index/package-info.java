/**
 * Internal to the engine: off-heap indexes of a stream: the block entries, per-block sequence tables, removed sequences
 * and subjects.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine.index;
