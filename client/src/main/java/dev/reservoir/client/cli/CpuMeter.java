package dev.reservoir.client.cli;

import dev.reservoir.redis.RedisEndpoint;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import redis.clients.jedis.Jedis;

/**
 * CPU time used by each process of a benchmark run: this client JVM, the worker JVMs (local pool only:
 * their pids are known) and Redis (INFO cpu). On a machine shared with other work, wall-clock tasks/s
 * measures the neighbours as much as the code; CPU time per task does not, so the bench reports both.
 */
final class CpuMeter {
    /** CPU nanoseconds of each part at one moment; −1 where unknown. */
    record Sample(long clientNanos, long workersNanos, long redisNanos) {
    }

    private final RedisEndpoint redis;
    /** Live worker pids, or null when the pool is not ours (then worker CPU is unknown). */
    private final Supplier<Map<String, Long>> workerPids;

    CpuMeter(RedisEndpoint redis, Supplier<Map<String, Long>> workerPids) {
        this.redis = redis;
        this.workerPids = workerPids;
    }

    Sample sample() {
        return new Sample(clientCpuNanos(), workersCpuNanos(), redisCpuNanos());
    }

    static long clientCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    private long workersCpuNanos() {
        if (workerPids == null) {
            return -1;
        }
        long sum = 0;
        for (long pid : workerPids.get().values()) {
            sum += ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
        }
        return sum;
    }

    private long redisCpuNanos() {
        try (Jedis jedis = redis.connect("reservoir-bench-cpu", Duration.ofSeconds(5))) {
            double seconds = 0;
            for (String line : jedis.info("cpu").split("\r?\n")) {
                // used_cpu_sys / used_cpu_user: the server's whole CPU (main thread and background threads)
                if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                    seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            return (long) (seconds * 1e9);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Microseconds of CPU per task between two samples, per part; −1 where unknown. */
    static double[] microsPerTask(Sample before, Sample after, long tasks) {
        return new double[] {per(before.clientNanos, after.clientNanos, tasks), per(before.workersNanos, after.workersNanos, tasks),
                per(before.redisNanos, after.redisNanos, tasks)};
    }

    private static double per(long before, long after, long tasks) {
        return before < 0 || after < 0 ? -1 : (after - before) / 1e3 / tasks;
    }
}
