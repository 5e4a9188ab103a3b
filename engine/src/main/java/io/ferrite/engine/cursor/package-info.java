/**
 * Internal to the engine: named tailers' cursors in a file store — one small file per cursor under {@code cursors/},
 * laid out by {@link io.ferrite.format.CursorDescriptor}, and the registry that loads, creates, lowers, persists and
 * deletes them. The tailer itself lives with the store ({@code io.ferrite.engine.NamedFollower}); this package knows
 * only positions and files.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine.cursor;
