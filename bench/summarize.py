#!/usr/bin/env python3
"""Summarise a JMH JSON result (-rf json) as a Markdown table: per benchmark the median wall-clock ns/op
and, when run with -prof dev.reservoir.bench.CpuTimeProfiler, the median CPU ns/op, each also as a
multiple of a reference benchmark from the same run.

Medians, because on a shared 2-core machine single iterations are disturbed by other processes.

usage: bench/summarize.py result.json [reference]   (reference: a benchmark name, default "pool_1t")
"""
import json
import statistics
import sys

results = json.load(open(sys.argv[1]))
reference = sys.argv[2] if len(sys.argv) > 2 else "pool_1t"


def median(metric):
    return statistics.median(x for fork in metric["rawData"] for x in fork)


rows = []
for r in results:
    name = r["benchmark"].rsplit(".", 1)[-1]
    cpu = next((m for k, m in r.get("secondaryMetrics", {}).items() if k.endswith("cpu.ns/op")), None)
    rows.append((name, r["threads"], median(r["primaryMetric"]), median(cpu) if cpu else None))

ref = next((row for row in rows if row[0] == reference), None)
print(f"| benchmark | threads | wall ns/op (median) | x {reference} | CPU ns/op (median) | x {reference} |")
print("|---|---:|---:|---:|---:|---:|")
for name, threads, wall, cpu in rows:
    wall_ratio = f"{wall / ref[2]:.1f}" if ref else "-"
    cpu_text = f"{cpu:,.1f}" if cpu is not None else "-"
    cpu_ratio = f"{cpu / ref[3]:.1f}" if ref and cpu is not None and ref[3] else "-"
    print(f"| {name} | {threads} | {wall:,.1f} | {wall_ratio} | {cpu_text} | {cpu_ratio} |")
