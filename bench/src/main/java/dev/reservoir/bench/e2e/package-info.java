/**
 * The end-to-end benchmark harness: {@code reservoir bench} (noop, latency, sleep and cpu workloads through
 * real worker processes, with targets) and {@code reservoir demo}
 * (a mixed workload with a progress bar), added to the CLI by {@link dev.reservoir.bench.e2e.ReservoirMain}.
 * See docs/benchmarks.md.
 */
package dev.reservoir.bench.e2e;
