package dev.reservoir.bench.e2e;

import dev.reservoir.client.Pool;
import dev.reservoir.client.TaskFailedException;
import dev.reservoir.client.TaskFuture;
import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Runs a batch of tasks through a pool with a bound on tasks in flight, recording the end-to-end
 * latency of each (submit → future completed) in an HdrHistogram, the tasks each worker ran, and
 * failures by error type; optionally draws a live progress bar.
 */
final class WorkloadRunner {
    /** One task of a workload. */
    record Item(String handler, byte[] payload) {
    }

    /** What a run measured. */
    record Outcome(long tasks, long ok, long nanos, Histogram latencyNanos, Map<String, Long> perWorker, Map<String, Long> failures) {
        double tasksPerSecond() {
            return tasks * 1e9 / nanos;
        }
    }

    private WorkloadRunner() {
    }

    static Outcome run(Pool pool, long tasks, int maxInFlight, LongFunction<Item> items, PrintStream progress, String label) {
        ConcurrentHistogram latency = new ConcurrentHistogram(3_600_000_000_000L, 3);
        Map<String, LongAdder> perWorker = new ConcurrentHashMap<>();
        Map<String, LongAdder> failures = new ConcurrentHashMap<>();
        LongAdder ok = new LongAdder();
        AtomicLong done = new AtomicLong();
        Semaphore window = new Semaphore(maxInFlight);
        Thread bar = progress == null ? null : Thread.ofPlatform().daemon().start(() -> drawProgress(progress, label, tasks, done));
        long start = System.nanoTime();
        try {
            for (long i = 0; i < tasks; i++) {
                window.acquireUninterruptibly();
                Item item = items.apply(i);
                long submitted = System.nanoTime();
                TaskFuture f = pool.submit(item.handler(), item.payload());
                f.whenComplete((r, e) -> {
                    latency.recordValue(Math.max(1, System.nanoTime() - submitted));
                    if (e == null) {
                        ok.increment();
                        perWorker.computeIfAbsent(r.worker() == null ? "?" : r.worker(), k -> new LongAdder()).increment();
                    } else {
                        Throwable cause = e instanceof java.util.concurrent.CompletionException c ? c.getCause() : e;
                        String type = cause instanceof TaskFailedException t ? t.errorType() : cause.getClass().getSimpleName();
                        failures.computeIfAbsent(type, k -> new LongAdder()).increment();
                    }
                    done.incrementAndGet();
                    window.release();
                });
            }
            window.acquireUninterruptibly(maxInFlight);
        } finally {
            if (bar != null) {
                bar.interrupt();
                try {
                    bar.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        long nanos = System.nanoTime() - start;
        if (progress != null) {
            progress.printf("\r%s%-100s%n", "", label + ": " + tasks + " tasks in " + String.format("%.2f", nanos / 1e9) + " s");
        }
        return new Outcome(tasks, ok.sum(), nanos, latency, snapshot(perWorker), snapshot(failures));
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static void drawProgress(PrintStream out, String label, long total, AtomicLong done) {
        long start = System.nanoTime();
        long lastDone = 0;
        long lastTime = start;
        double rate = 0;
        boolean tty = "1".equals(System.getenv("RESERVOIR_TTY")) || (System.console() != null && System.console().isTerminal());
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(tty ? 100 : 1000);
            } catch (InterruptedException e) {
                break;
            }
            long now = System.nanoTime();
            long d = done.get();
            double instant = (d - lastDone) * 1e9 / Math.max(1, now - lastTime);
            rate = rate == 0 ? instant : 0.7 * rate + 0.3 * instant;
            lastDone = d;
            lastTime = now;
            int width = 30;
            int filled = (int) (width * d / Math.max(1, total));
            String barText = "█".repeat(filled) + "░".repeat(width - filled);
            String line = String.format("%s [%s] %3d%%  %,d/%,d  %,.0f tasks/s", label, barText, 100 * d / Math.max(1, total), d, total, rate);
            out.print(tty ? "\r" + line : line + "\n");
            out.flush();
        }
    }

    static String ms(Histogram h, double percentile) {
        return String.format("%.3f", h.getValueAtPercentile(percentile) / 1e6);
    }
}
