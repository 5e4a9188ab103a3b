/**
 * Internal to the engine: how background work is run. The flusher, the reclaimer and the block preallocator are
 * Agrona agents; an {@link io.ferrite.engine.agent.AgentThread} runs one (or, later, a composite of several streams'
 * agents) and idles with a {@link io.ferrite.engine.agent.WakeUpIdleStrategy}, which its agents wake when work arrives
 * and tell when their next timer is due.
 * <p>
 * Not an API: public types here are public only so that other engine packages can reach them, and may change in any
 * release.
 */
package io.ferrite.engine.agent;
