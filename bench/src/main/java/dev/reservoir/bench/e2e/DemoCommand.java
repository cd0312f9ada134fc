package dev.reservoir.bench.e2e;

import dev.reservoir.cli.CliException;
import dev.reservoir.cli.ExitCodes;
import dev.reservoir.cli.LocalPoolOptions;
import dev.reservoir.client.Pool;
import dev.reservoir.client.PoolStatus;
import dev.reservoir.client.Reservoir;
import dev.reservoir.local.LocalPool;
import dev.reservoir.local.PoolSpec;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.Quantities;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Start a local pool, run a mixed workload with a progress bar, print the figures, stop.",
        description = {"Start a local pool (default 4 workers × 8 threads, embedded Redis), run a mixed workload with a live",
                "progress bar, print throughput, latency percentiles, tasks per worker and memory pool use, then stop cleanly.",
                "Mix: 80%% echo (1 KiB), 15%% sleep 5-20 ms, 4%% sha256 64Kix8, 1%% fail (retried, then dead-lettered)."})
final class DemoCommand implements Callable<Integer> {
    @Mixin
    LocalPoolOptions local;

    @Option(names = "--tasks", paramLabel = "N", defaultValue = "20000", description = "Tasks to run (default ${DEFAULT-VALUE}).")
    long tasks;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "256", description = "Tasks in flight at most (default ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Override
    public Integer call() {
        if (tasks < 1) {
            throw new CliException(ExitCodes.USAGE, "--tasks: must be at least 1, got " + tasks);
        }
        PoolSpec spec = local.spec("demo");
        System.out.printf("Starting a local pool: %d workers × %d threads, memory pool %d × %s blocks each, embedded Redis...%n",
                spec.replicas(), spec.threads(), spec.effectiveBlocks(), Quantities.formatBytes(spec.settings().blockSize()));
        long t0 = System.nanoTime();
        LocalPool pool = LocalPoolOptions.startAndWait(spec, LocalPool.Options.defaults()
                .withEvents(line -> System.out.println("  [pool] " + line)));
        System.out.printf("Ready in %.1f s (Redis %s, worker logs in %s)%n%n", (System.nanoTime() - t0) / 1e9, pool.redisUrl(), pool.logDir());
        byte[] kib = "x".repeat(1024).getBytes(StandardCharsets.UTF_8);
        try (Reservoir reservoir = Reservoir.connect(pool.redisUrl())) {
            Pool p = reservoir.pool(spec.name());
            // Fresh JVMs interpret before they compile: a short warm-up keeps that out of the figures.
            System.out.print("Warming up the workers' JIT... ");
            System.out.flush();
            p.map("echo", java.util.Collections.nCopies(3000, kib), new dev.reservoir.client.MapOptions(512, 64));
            p.map("sha256", java.util.Collections.nCopies(2 * spec.replicas() * spec.threads(), "64Kix8".getBytes(StandardCharsets.UTF_8)));
            System.out.println("done.");
            WorkloadRunner.Outcome o = WorkloadRunner.run(p, tasks, maxInFlight, i -> {
                int r = (int) (i % 100);
                if (r < 80) {
                    return new WorkloadRunner.Item("echo", kib);
                } else if (r < 95) {
                    return new WorkloadRunner.Item("sleep", Long.toString(5 + i % 16).getBytes(StandardCharsets.UTF_8));
                } else if (r < 99) {
                    return new WorkloadRunner.Item("sha256", "64Kix8".getBytes(StandardCharsets.UTF_8));
                }
                return new WorkloadRunner.Item("fail", "demo".getBytes(StandardCharsets.UTF_8));
            }, System.out, "demo");
            PoolStatus status = p.status();
            System.out.println();
            System.out.printf("Throughput   %,.0f tasks/s (%,d tasks in %.2f s; %,d ok, %,d failed)%n", o.tasksPerSecond(), o.tasks(), o.nanos() / 1e9,
                    o.ok(), o.tasks() - o.ok());
            System.out.printf("Latency      p50 %s ms   p90 %s ms   p99 %s ms   p99.9 %s ms   max %s ms  (submit → result, HdrHistogram)%n",
                    WorkloadRunner.ms(o.latencyNanos(), 50), WorkloadRunner.ms(o.latencyNanos(), 90), WorkloadRunner.ms(o.latencyNanos(), 99),
                    WorkloadRunner.ms(o.latencyNanos(), 99.9), String.format("%.3f", o.latencyNanos().getMaxValue() / 1e6));
            if (!o.failures().isEmpty()) {
                System.out.printf("Failures     %s (fail tasks are retried %d times, then dead-lettered: %d dead letters)%n", o.failures(),
                        spec.maxAttempts(), status.deadLetters());
            }
            System.out.println("Per worker   tasks run          memory pool (blocks in use / allocated / max, high water)");
            Map<String, Heartbeat> beats = new java.util.TreeMap<>();
            status.workers().forEach(h -> beats.put(h.workerId(), h));
            o.perWorker().forEach((worker, n) -> {
                Heartbeat h = beats.get(worker);
                String mem = h == null ? "-" : h.memoryBlocksInUse() + " / " + h.memoryBlocksCapacity() + " / " + h.memoryBlocksMax() + ", high water "
                        + h.memoryHighWater() + " × " + Quantities.formatBytes(spec.settings().blockSize());
                System.out.printf("  %-12s %,9d          %s%n", worker, n, mem);
            });
            reservoir.close();
        } finally {
            System.out.println();
            System.out.println("Stopping: drain every worker, then stop Redis");
            long s = System.nanoTime();
            pool.close();
            System.out.printf("Stopped in %.1f s. Nothing left running.%n", (System.nanoTime() - s) / 1e9);
        }
        System.out.println("Next: bin/reservoir local -f pool.yaml, bin/reservoir bench, bin/reservoir --help");
        return ExitCodes.OK;
    }
}
