/**
 * Internal to the engine: operation timers, histograms and the rates behind {@code StoreStats}.
 * <p>
 * Not an API: public types here are public only so that other engine packages and the tools can reach them, and may
 * change in any release.
 */
package io.ferrite.engine.metrics;
