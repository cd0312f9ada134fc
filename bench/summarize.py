#!/usr/bin/env python3
"""Summarise a JMH JSON result (-rf json): mean, median and best iteration per benchmark, and each
benchmark's median as a multiple of a reference benchmark's median from the same run.

On a shared 2-core machine single iterations are disturbed by other processes; medians and ratios
against baselines measured in the same run are steadier than means.

usage: bench/summarize.py result.json [reference-substring]   (default reference: "pool_1t")
"""
import json
import statistics
import sys

results = json.load(open(sys.argv[1]))
reference = sys.argv[2] if len(sys.argv) > 2 else "pool_1t"
rows = []
for r in results:
    name = r["benchmark"].rsplit(".", 1)[-1]
    iterations = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
    rows.append((name, r["threads"], statistics.mean(iterations), statistics.median(iterations), min(iterations),
                 r["primaryMetric"]["scoreUnit"]))
ref = next((row[3] for row in rows if reference in row[0]), None)
print(f"| benchmark | threads | mean | median | best | median / {reference} median |")
print("|---|---:|---:|---:|---:|---:|")
for name, threads, mean, median, best, unit in rows:
    ratio = f"{median / ref:.2f}x" if ref else "-"
    print(f"| {name} | {threads} | {mean:.1f} {unit} | {median:.1f} | {best:.1f} | {ratio} |")
