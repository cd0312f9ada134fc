package dev.reservoir.cli;

import dev.reservoir.client.PoolStatus;
import dev.reservoir.client.Reservoir;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.protocol.StatsFields;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
        header = "Show a pool: backlog, in-flight, dead letters, counters and each live worker.",
        description = {"Show a pool: backlog, in-flight, dead letters, counters, and each live worker with its state,",
                "busy threads, in-flight tasks and memory pool use (from the workers' heartbeats)."})
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Option(names = {"-w", "--watch"}, description = "Refresh until Ctrl-C.")
    boolean watch;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", description = "Refresh interval with --watch (default ${DEFAULT-VALUE}).")
    String interval;

    @Override
    public Integer call() throws InterruptedException {
        Duration every = Cli.duration("--interval", interval);
        try (Reservoir reservoir = connection.connect()) {
            var pool = reservoir.pool(connection.pool);
            long lastCompleted = -1;
            long lastAt = 0;
            do {
                PoolStatus status = pool.status();
                long now = System.nanoTime();
                if (watch) {
                    System.out.print("\033[H\033[2J");
                }
                print(System.out, reservoir.endpoint().toString(), status);
                long completed = status.counters().get(StatsFields.COMPLETED) + status.counters().get(StatsFields.FAILED);
                if (watch && lastCompleted >= 0) {
                    System.out.printf("rate %,.0f tasks/s%n", (completed - lastCompleted) * 1e9 / Math.max(1, now - lastAt));
                }
                lastCompleted = completed;
                lastAt = now;
                System.out.flush();
                if (watch) {
                    Thread.sleep(every.toMillis());
                }
            } while (watch);
        }
        return ExitCodes.OK;
    }

    static void print(PrintStream out, String where, PoolStatus s) {
        out.printf("pool %s at %s%n", s.pool(), where);
        out.printf("workers %d   threads %d (busy %d)   backlog %d   in-flight %d   dead letters %d%n", s.workers().size(), s.threads(),
                s.busyThreads(), s.backlog(), s.inFlight(), s.deadLetters());
        out.printf("completed %d   failed %d   retried %d   reclaimed %d   handed back %d%n", s.counters().get(StatsFields.COMPLETED),
                s.counters().get(StatsFields.FAILED), s.counters().get(StatsFields.RETRIED), s.counters().get(StatsFields.RECLAIMED),
                s.counters().get(StatsFields.HANDED_BACK));
        if (s.workers().isEmpty()) {
            out.println("no live workers (start some with 'reservoir local -f pool.yaml')");
            return;
        }
        out.printf("%-24s %-9s %7s %5s %9s %10s %7s %-22s %8s %7s%n", "WORKER", "STATE", "THREADS", "BUSY", "IN-FLIGHT", "COMPLETED",
                "FAILED", "MEMORY used/cap/max", "PID", "UPTIME");
        long now = System.currentTimeMillis();
        for (Heartbeat h : s.workers()) {
            out.printf("%-24s %-9s %7d %5d %9d %10d %7d %-22s %8d %7s%n", h.workerId(), h.state(), h.threads(), h.busyThreads(), h.inFlight(),
                    h.completed(), h.failed(), h.memoryBlocksInUse() + "/" + h.memoryBlocksCapacity() + "/" + h.memoryBlocksMax(), h.pid(),
                    Cli.uptime(now - h.startedAt()));
        }
    }
}
