#!/bin/bash
# Scheduling delay per thread hand-off of a sync round trip (docs/benchmarks.md, "Where a round trip's
# time goes"). Runs `reservoir bench -w latency` with its own local pool, records the kernel's scheduler
# events for 2.5 s of the measured calls, and prints, per waker -> woken thread pair, the mean delay
# between a thread being woken and it running. Needs perf (linux-perf) and root.
#
#   bench/scripts/handoff-delays.sh [LABEL] [extra bench options]
#   DIR=/path/to/other/checkout bench/scripts/handoff-delays.sh before    # compare two builds
set -euo pipefail
label=${1:-run}; shift || true
cd "${DIR:-$(dirname "$0")/../..}"
out=$(mktemp -d)
bin/reservoir bench -w latency --latency-calls 8000 "$@" > "$out/bench.out" 2> "$out/bench.err" &
bench=$!
until grep -q "measuring" "$out/bench.err" 2>/dev/null; do
  kill -0 "$bench" 2>/dev/null || { cat "$out/bench.err"; exit 1; }
  sleep 0.1
done
perf record -q -e sched:sched_switch -e sched:sched_wakeup -e sched:sched_waking -a -o "$out/sched.data" -- sleep 2.5 >/dev/null 2>&1
wait "$bench"
perf sched timehist -w -i "$out/sched.data" 2>/dev/null > "$out/timehist.txt"
echo "== $label: $(grep -E '^latency (p50_ms|p99_ms|host_steal_pct)' "$out/bench.out" | awk '{print $2"="$3}' | tr '\n' ' ')"
awk '/awakened: / { split($0, a, "awakened: "); r = a[2]; w = $3; sub(/\[.*/, "", w); waker[r] = w; wcpu[r] = $2; next }
     ($3 in waker) { k = waker[$3] " -> " $3; sub(/\[.*/, "", k); n[k]++; d[k] += $(NF-1); if ($2 == wcpu[$3]) same[k]++; delete waker[$3] }
     END { for (k in n) if (n[k] > 500) printf "  %-40s n=%5d mean_sched_delay=%6.1f us same_cpu=%d%%\n", k, n[k], d[k] / n[k] * 1000, same[k] * 100 / n[k] }' \
  "$out/timehist.txt" | sort -t= -k3 -rn
rm -rf "$out"
