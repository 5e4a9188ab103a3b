/**
 * Internal to the engine: opening a stream: trusting {@code state.db} as far as its evidence goes, replaying blocks
 * past it, and reporting every loss.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine.recovery;
