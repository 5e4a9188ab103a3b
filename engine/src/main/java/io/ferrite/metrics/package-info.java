/**
 * Optional exports of a stream's statistics to an embedder's monitoring: {@link FerriteMetricsBinder} binds them to a
 * Micrometer registry, {@link StreamMBeans} registers a JMX MXBean per stream. Both
 * stand on the API alone ({@code io.ferrite.store}: {@code counters()} for counters and positions, a
 * {@code newStatsReader()} of their own for the latency histograms), and nothing else in Ferrite imports this package.
 * <p>
 * Micrometer is an optional dependency of the engine: an application that uses the binder puts
 * {@code io.micrometer:micrometer-core} on its class path itself; one that does not never loads it. The JMX part needs
 * nothing beyond the JDK.
 */
package io.ferrite.metrics;
