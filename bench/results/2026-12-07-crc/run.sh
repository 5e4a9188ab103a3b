#!/bin/bash
# Read side on ddc0f6c (the one-pass record check of 457c9e4 and the view's damage look), against 3279dbc (base),
# alternating; Chronicle Queue's tailer in every trial.
set -x
cd "$(git rev-parse --show-toplevel)"
R=bench/results/2026-12-07-crc
NEW=bench/target/ferrite-benchmarks.jar
BASE=$BASE_JAR  # the jar built from 3279dbc
uptime > $R/uptime-start.txt
for k in 1 2 3; do
  for j in base new; do
    if [ $j = base ]; then JAR=$BASE; else JAR=$NEW; fi
    java -jar $JAR 'FerriteTailerBenchmark' -p reader=tailer,view -f 1 -wi 3 -w 1 -i 5 -r 1 > $R/tailer-$j-$k.txt 2>&1
    java -jar $JAR 'FerriteReadBenchmark.read' -p order=sequential,random -f 1 -wi 3 -w 1 -i 5 -r 1 > $R/read-$j-$k.txt 2>&1
  done
  java -jar $NEW 'ChronicleTailerBenchmark' -f 1 -wi 3 -w 1 -i 5 -r 1 > $R/chronicle-tailer-$k.txt 2>&1
done
uptime > $R/uptime-end.txt
echo done > $R/.done
