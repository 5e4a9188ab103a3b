#!/bin/bash
# Run 2026-12-08-bounds. base2.jar: bench/target/ferrite-benchmarks.jar built at 2d15231 with AppendThreadCpu's rate
# argument (66d9e41's bench change alone); final.jar: the same built at 820d537. Run from the directory holding both.
ARGS="$(cat bench/target/jvm.args)"
order() { if [ $(( $1 % 2 )) = 1 ]; then echo "base2 final"; else echo "final base2"; fi; }
for t in 1 2 3; do
  for jar in $(order $t); do
    uptime >> uptime.txt
    java $ARGS -cp $jar.jar io.ferrite.bench.AppendThreadCpu INTERVAL 3000000 128 - 500000 > cpu-$jar-$t.txt 2>&1
  done
done
for t in 1 2 3; do
  for jar in $(order $t); do
    uptime >> uptime.txt
    java $ARGS -cp $jar.jar io.ferrite.bench.latency.LatencyHarness --series ferrite --payload 128 \
      --warmup 1000000 --ops 10000000 --out lat-$jar-$t > lat-$jar-$t.txt 2>&1
  done
done
for t in 1 2 3; do
  for jar in $(order $t); do
    uptime >> uptime.txt
    java -jar $jar.jar HotPathAppendBenchmark -p payloadLength=128 -p form=BYTES,CHRONICLE,FLOOR_FRESH_PREPARED \
      -f 1 -wi 3 -w 1 -i 5 -r 1 > hotpath-$jar-$t.txt 2>&1
  done
done
