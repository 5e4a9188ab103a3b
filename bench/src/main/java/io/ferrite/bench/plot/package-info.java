/**
 * Latency-percentile plots, in the style of HdrHistogram's plotter, from HdrHistogram percentile files.
 */
package io.ferrite.bench.plot;
