/**
 * Internal to the engine: mapped block files, the records in them (written, sealed, verified), block preparation and
 * the stream's block list.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine.block;
