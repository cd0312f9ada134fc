package dev.reservoir.bench.e2e;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The targets of the end-to-end benchmark, written once: {@code reservoir bench} prints each measured
 * value beside its target and {@code --check} exits 1 on a miss; docs/benchmarks.md shows
 * {@link #markdownTable()} (TargetTest fails when the page and this table differ).
 */
enum Target {
    NOOP_THROUGHPUT("noop", "tasks_per_s", Bound.AT_LEAST, "40000", "tasks/s streamed through imap"),
    LATENCY_P50("latency", "p50_ms", Bound.BELOW, "0.5", "ms per synchronous apply round trip, median"),
    LATENCY_P99("latency", "p99_ms", Bound.BELOW, "2", "ms per synchronous apply round trip, 99th percentile"),
    SLEEP_OVERHEAD("sleep", "wall_over_ideal", Bound.AT_MOST, "1.3", "wall time ÷ ideal for the pool's thread slots"),
    CPU_EFFICIENCY("cpu", "efficiency", Bound.AT_LEAST, "0.90", "tasks/s ÷ what the machine's cores allow");

    enum Bound {
        AT_LEAST(">="), AT_MOST("<="), BELOW("<");

        final String symbol;

        Bound(String symbol) {
            this.symbol = symbol;
        }
    }

    final String workload;
    final String metric;
    final Bound bound;
    /** As written in the table, so that the table reads as the bound was chosen ("0.90", not "0.9"). */
    final String limit;
    final String meaning;

    Target(String workload, String metric, Bound bound, String limit, String meaning) {
        this.workload = workload;
        this.metric = metric;
        this.bound = bound;
        this.limit = limit;
        this.meaning = meaning;
    }

    static Optional<Target> of(String workload, String metric) {
        return Arrays.stream(values()).filter(t -> t.workload.equals(workload) && t.metric.equals(metric)).findFirst();
    }

    boolean metBy(double value) {
        double l = Double.parseDouble(limit);
        return switch (bound) {
            case AT_LEAST -> value >= l;
            case AT_MOST -> value <= l;
            case BELOW -> value < l;
        };
    }

    /** ">= 40000", as the bench's table prints it. */
    String text() {
        return bound.symbol + " " + limit;
    }

    /** The table docs/benchmarks.md shows. */
    static String markdownTable() {
        return "| workload | metric | target | what |\n|---|---|---|---|\n" + Arrays.stream(values())
                .map(t -> String.format(Locale.ROOT, "| `%s` | `%s` | %s | %s |", t.workload, t.metric, t.text(), t.meaning))
                .collect(Collectors.joining("\n")) + "\n";
    }
}
