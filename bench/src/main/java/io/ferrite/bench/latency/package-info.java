/**
 * Per-op append latency into HdrHistogram at full resolution, written as percentile files for
 * {@link io.ferrite.bench.plot.PercentilePlot}; run {@link io.ferrite.bench.latency.LatencyHarness}.
 */
package io.ferrite.bench.latency;
