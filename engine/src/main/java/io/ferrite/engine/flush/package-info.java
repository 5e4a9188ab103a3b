/**
 * Internal to the engine: the group-commit flusher: which blocks to force, the force cycle, and the bound on unforced
 * bytes.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine.flush;
