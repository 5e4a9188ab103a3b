#!/bin/bash
# Run 2026-12-08-inline-prepare. base.jar: bench/target/ferrite-benchmarks.jar built at f8daa96; inline.jar: the same
# with the inline block preparation; pregrace.jar: built at b5a5a56 (before the two-phase read gate). The script that
# made the figures waited, before each trial, until no Maven build ran on the machine, and ran the trial again when one
# started during it (none did after the first trial).
JVM_ARGS=$(cat bench/target/jvm.args)
for t in 1 2 3; do   # order alternates: base inline / inline base / base inline
  for jar in base inline; do
    java -jar $jar.jar HotPathAppendBenchmark -p payloadLength=128 -p form=BYTES,CHRONICLE,FLOOR_FRESH_PREPARED \
      -f 1 -wi 3 -w 1 -i 5 -r 1 > hotpath-$jar-$t.txt 2>&1
  done
done
for t in 1 2; do
  for jar in base inline; do
    java $JVM_ARGS -cp $jar.jar io.ferrite.bench.AppendThreadCpu INTERVAL 5000000 128 > cpu-$jar-$t.txt 2>&1
  done
done
for t in 1 2 3; do   # pregrace base / base pregrace / pregrace base
  for jar in pregrace base; do
    java -jar $jar.jar FerriteReadBenchmark.read -p order=sequential -f 1 -wi 3 -w 1 -i 5 -r 1 > read-$jar-$t.txt 2>&1
    java -jar $jar.jar FerriteTailerBenchmark -p reader=tailer -f 1 -wi 3 -w 1 -i 5 -r 1 > tailer-$jar-$t.txt 2>&1
  done
done
for t in 1 2; do
  for jar in base inline; do
    java $JVM_ARGS -cp $jar.jar io.ferrite.bench.latency.LatencyHarness --series ferrite --payload 128 \
      --warmup 1000000 --ops 10000000 --out lat-$jar-$t > lat-$jar-$t.txt 2>&1
  done
done
for jar in base inline; do
  java -jar $jar.jar TailerInterferenceBenchmark -p store=ferrite -p tailers=0,1 -f 1 -wi 2 -w 1 -i 5 -r 1 -bm thrpt \
    > interf-$jar.txt 2>&1
done
for jar in inline base; do   # sustained: 12 x 5 s
  java -jar $jar.jar HotPathAppendBenchmark -p payloadLength=128 -p form=BYTES,CHRONICLE,FLOOR_FRESH_PREPARED \
    -f 1 -wi 1 -w 5 -i 12 -r 5 > sustained-$jar.txt 2>&1
done
for t in 1 2 3; do   # 1 KiB, after the rest; order alternates as above
  for jar in base inline; do
    java -jar $jar.jar HotPathAppendBenchmark -p payloadLength=1024 -p form=BYTES,CHRONICLE,FLOOR_FRESH_PREPARED \
      -f 1 -wi 3 -w 1 -i 5 -r 1 > kib-$jar-$t.txt 2>&1
  done
done
