package dev.reservoir.worker;

/**
 * How many tasks beyond its free threads a worker may claim right now: the configured prefetch, but
 * never more than its threads would start within {@link #WINDOW_NANOS} at the recent average run time.
 *
 * <p>A large prefetch is what makes tiny tasks cheap (one claim and one write per batch instead of per
 * task), and what makes long tasks unfair (a worker sits on work that idle peers could run). Bounding
 * the claimed-but-not-started tasks by time gives both: 8 threads running 5 µs tasks may hold the whole
 * prefetch, the same threads running 10 ms tasks hold 2 extra, so peers are never starved by more than
 * about {@link #WINDOW_NANOS} of queued work.
 *
 * <p>Thread-safety: {@link #observe} is called by every runner without locking. The average is a
 * single {@code long}, read and written racily on purpose: a lost update only delays the estimate by
 * one task, which a heuristic can afford, and it keeps the runner's hot path free of contention.
 */
final class PrefetchBound {
    /** Work that may wait in a worker's own queue: short against any task a user would notice waiting. */
    static final long WINDOW_NANOS = 2_000_000;
    /** Until runs are observed, assume tasks of a millisecond (a worker starts conservative). */
    private static final long INITIAL_NANOS = 1_000_000;

    private final int threads;
    private final int prefetch;
    /** Exponentially weighted average run time, weight 1/16; racy by design (see class comment). */
    private volatile long averageNanos = INITIAL_NANOS;

    PrefetchBound(int threads, int prefetch) {
        this.threads = threads;
        this.prefetch = prefetch;
    }

    void observe(long runNanos) {
        long avg = averageNanos;
        averageNanos = avg + (Math.max(1, runNanos) - avg) / 16;
    }

    /** The prefetch in effect: between 0 and the configured prefetch. */
    int current() {
        long avg = Math.max(1, averageNanos);
        long fits = (threads * WINDOW_NANOS + avg - 1) / avg; // tasks the threads start within the window
        return (int) Math.min(prefetch, fits);
    }

    long averageNanos() {
        return averageNanos;
    }
}
