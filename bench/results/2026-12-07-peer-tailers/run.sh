#!/bin/sh
# Run 2026-12-07-peer-tailers (docs/BENCHMARKS.md). BEFORE: the benchmark jar built from b28b65f (aa42142's engine with
# the peer in TailerInterferenceBenchmark); J: the jar of the run's final rule (fbcb516). Files under b89dc1c/ came from
# the same commands with the jar of b89dc1c's first rule (wall time), plus the latency, sample and zero-tailer runs below.
J='java -jar bench/target/ferrite-benchmarks.jar'
BEFORE=${BEFORE:?set BEFORE to the jar built from b28b65f}
java -jar "$BEFORE" TailerInterferenceBenchmark -p store=ferrite,chronicle -f 3 -wi 2 -w 1 -i 5 -r 1 -bm thrpt \
  > interference-thrpt.txt 2>&1
for k in 1 2 3; do
  java -jar "$BEFORE" TailerInterferenceBenchmark -p store=ferrite -f 1 -wi 2 -w 1 -i 5 -r 1 -bm thrpt > before-$k.txt 2>&1
  $J TailerInterferenceBenchmark -p store=ferrite,chronicle -f 1 -wi 2 -w 1 -i 5 -r 1 -bm thrpt > after-$k.txt 2>&1
done
# thread-cpu.txt: each jar in turn, -p store=ferrite -p tailers=1 -i 12; utime+stime of every thread of the JMH fork,
# read from /proc/<fork pid>/task/<tid>/stat 8 s and 12 s after launch.
# folio-choice.txt: the final rule built with one print per prepared block (not committed), run as
#   TailerInterferenceBenchmark -p store=ferrite -p tailers=1 -f 1 -wi 2 -w 1 -i 5 -r 1 -bm thrpt
#   TailerLatencyBenchmark -p store=ferrite -p payloadLength=1024 -p rate=100000 -f 1 -wi 1 -w 5 -i 1 -r 15
# b89dc1c/ only, with that jar as J:
for k in 1 2; do
  java -jar "$BEFORE" TailerLatencyBenchmark -p store=ferrite -p payloadLength=128,1024 -p rate=100000 -f 1 -wi 1 -w 5 \
    -i 1 -r 30 > latency-before-$k.txt 2>&1
  $J TailerLatencyBenchmark -p store=ferrite -p payloadLength=128,1024 -p rate=100000 -f 1 -wi 1 -w 5 -i 1 -r 30 \
    > latency-after-$k.txt 2>&1
done
for k in 1 2; do
  java -jar "$BEFORE" TailerInterferenceBenchmark -p store=ferrite -p tailers=0,1 -f 1 -wi 2 -w 1 -i 5 -r 1 -bm sample \
    -tu ns > sample-before-$k.txt 2>&1
  $J TailerInterferenceBenchmark -p store=ferrite,chronicle -p tailers=0,1 -f 1 -wi 2 -w 1 -i 5 -r 1 -bm sample -tu ns \
    > sample-after-$k.txt 2>&1
done
for k in 1 2 3; do
  $J TailerInterferenceBenchmark -p store=ferrite -p tailers=0 -f 1 -wi 2 -w 1 -i 5 -r 1 -bm thrpt > zero-after-$k.txt 2>&1
  java -jar "$BEFORE" TailerInterferenceBenchmark -p store=ferrite -p tailers=0 -f 1 -wi 2 -w 1 -i 5 -r 1 -bm thrpt \
    > zero-before-$k.txt 2>&1
done
# forks5/: later the same day, the jar of 45424dd (append path and FolioPolicy as in fbcb516), five forks each:
$J TailerInterferenceBenchmark -p store=ferrite,chronicle -f 5 -wi 2 -w 1 -i 5 -r 1 -bm thrpt > forks5/interference-f5.txt 2>&1
