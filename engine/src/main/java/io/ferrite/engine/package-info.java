/**
 * Internal to the engine: the file store behind {@link io.ferrite.engine.FileStreamStore}, which is the one class here
 * an application names: appends, reads, removals, retention, truncation and space reclaim, each in a class of its own.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine;
