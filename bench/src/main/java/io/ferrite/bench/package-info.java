/**
 * Ferrite's JMH suite: the peers (Chronicle Queue, Chronicle Bytes), the floors (Agrona mapped copy +
 * CRC32C, disk {@code force}) and the algorithm choices (checksum, cipher) that Ferrite's own figures are
 * read against.
 * <p>
 * Run: {@code java -jar bench/target/ferrite-benchmarks.jar [regex] [-f 1 -wi 3 -i 5 -w 1s -r 1s]
 * -rf json -rff bench/results/NAME.json}; see {@code docs/BENCHMARKS.md}. {@code mvn verify} only runs
 * each benchmark once for 100 ms to prove it works.
 * <p>
 * Adding a benchmark: extend {@link io.ferrite.bench.BenchmarkDefaults} (the fork JVM flags live there)
 * and do not declare {@code @Fork}. Adding a store to the append comparisons: implement
 * {@link io.ferrite.bench.AppendTarget} and add a constant to
 * {@link io.ferrite.bench.latency.AppendSeries}; a JMH class for it is a copy of
 * {@link io.ferrite.bench.AgronaFloorBenchmark} with a different target.
 */
package io.ferrite.bench;
