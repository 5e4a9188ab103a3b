#!/bin/bash
# Run on 1064326 (new) against 96035da (base), alternating.
set -x
cd "$(git rev-parse --show-toplevel)"
R=bench/results/2026-12-07-unmap
NEW=bench/target/ferrite-benchmarks.jar
BASE=$BASE_JAR  # the jar built from 96035da
uptime > $R/uptime-start.txt
for k in 1 2 3; do
  for j in base new; do
    if [ $j = base ]; then JAR=$BASE; else JAR=$NEW; fi
    java -jar $JAR HotPathAppendBenchmark -p payloadLength=128 -p form=BYTES -f 1 -wi 3 -w 1 -i 5 -r 1 \
      -prof io.ferrite.bench.CpuPerOpProfiler > $R/append-$j-$k.txt 2>&1
  done
  java -jar $NEW HotPathAppendBenchmark -p payloadLength=128 -p form=CHRONICLE,FLOOR_FRESH_PREPARED -f 1 -wi 3 -w 1 -i 5 -r 1 \
      -prof io.ferrite.bench.CpuPerOpProfiler > $R/peers-$k.txt 2>&1
done
for k in 1 2 3; do
  for j in base new; do
    if [ $j = base ]; then JAR=$BASE; else JAR=$NEW; fi
    java -jar $JAR 'FerriteReadBenchmark.read' -p order=sequential,random -f 1 -wi 3 -w 1 -i 5 -r 1 > $R/read-$j-$k.txt 2>&1
    java -jar $JAR 'FerriteTailerBenchmark' -p reader=tailer -f 1 -wi 3 -w 1 -i 5 -r 1 > $R/tailer-$j-$k.txt 2>&1
  done
done
uptime > $R/uptime-end.txt
echo done > $R/.done
