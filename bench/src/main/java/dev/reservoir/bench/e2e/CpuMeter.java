package dev.reservoir.bench.e2e;

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
    /**
     * CPU nanoseconds of each part at one moment, −1 where unknown; and the machine's CPU time so far in
     * clock ticks, all of it and the part stolen by the hypervisor (to run other guests), −1 off Linux.
     */
    record Sample(long clientNanos, long workersNanos, long redisNanos, long machineTicks, long stolenTicks) {
    }

    private final RedisEndpoint redis;
    /** Live worker pids, or null when the pool is not ours (then worker CPU is unknown). */
    private final Supplier<Map<String, Long>> workerPids;

    CpuMeter(RedisEndpoint redis, Supplier<Map<String, Long>> workerPids) {
        this.redis = redis;
        this.workerPids = workerPids;
    }

    Sample sample() {
        long[] machine = machineTicks();
        return new Sample(clientCpuNanos(), workersCpuNanos(), redisCpuNanos(), machine[0], machine[1]);
    }

    /**
     * Percent of the machine's CPU time the hypervisor gave to other guests between two samples ("steal"),
     * or −1 when unknown. While it is high, every thread here may stop for milliseconds at any point.
     */
    static double stolenPercent(Sample before, Sample after) {
        long total = after.machineTicks - before.machineTicks;
        return before.machineTicks < 0 || after.machineTicks < 0 || total <= 0 ? -1
                : 100.0 * (after.stolenTicks - before.stolenTicks) / total;
    }

    private static long[] machineTicks() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/stat"))) {
            return lines.findFirst().map(CpuMeter::parseProcStatCpu).orElse(new long[] {-1, -1});
        } catch (java.io.IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    /** From /proc/stat's first line ("cpu  user nice system idle iowait irq softirq steal ..."): {all ticks, stolen ticks}. */
    static long[] parseProcStatCpu(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 9 || !f[0].equals("cpu")) {
            return new long[] {-1, -1};
        }
        long total = 0;
        for (int i = 1; i <= 8; i++) { // guest time is already counted in user and nice
            total += Long.parseLong(f[i]);
        }
        return new long[] {total, Long.parseLong(f[8])};
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
