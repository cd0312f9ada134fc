package dev.reservoir.worker.bench;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Task;
import dev.reservoir.redis.PoolQueue;
import dev.reservoir.redis.RedisServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * Consume benchmark (not a test): one real worker process drains N pre-loaded no-op tasks, writing
 * every result; reported next to the machine's ceiling measured in the same run with
 * {@code redis-benchmark -P 16} XADD against the same Redis. The ratio is the figure.
 *
 * <pre>
 * ./mvnw -B -ntp -q -DskipTests package -pl worker -am
 * java -cp "worker/target/test-classes:worker/target/reservoir-worker-0.1.0-SNAPSHOT.jar:worker/target/lib/*" \
 *     dev.reservoir.worker.bench.ConsumeBenchmark 200000 4 32
 * </pre>
 * Arguments: tasks measured (default 200000), threads (4), prefetch (32), warm-up tasks run before the
 * measured ones (default the larger of the measured count and 300000: at 100000 the JIT was still
 * compiling through the window, about 3-4 us of C2 time per task, which is warm-up, not steady state).
 *
 * <p>CPU per task is the figure to judge changes by on a shared machine (wall clock is not): the
 * worker process's CPU time (from /proc, via ProcessHandle) and Redis's used_cpu_sys+user are
 * sampled at the start and end of the measured window, so start-up, JIT warm-up and the drain are
 * excluded. Extra JVM options for the worker (e.g. {@code -XX:StartFlightRecording=filename=w.jfr})
 * go in the environment variable {@code BENCH_WORKER_JVM_ARGS} (split on spaces). With
 * {@code BENCH_PERF=<file>} the measured window (only) is recorded by {@code perf record -g} on the
 * worker and Redis processes; give the worker {@code -XX:+UnlockDiagnosticVMOptions
 * -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer} so its JIT frames get names.
 */
public final class ConsumeBenchmark {
    public static void main(String[] args) throws Exception {
        int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int prefetch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int warmUp = args.length > 3 ? Integer.parseInt(args[3]) : Math.max(tasks, 300_000);
        try (RedisServerProcess redis = RedisServerProcess.onFreePort(false).start()) {
            double ceiling = xaddCeiling(redis.port());
            PoolKeys keys = new PoolKeys("bench");
            PoolQueue queue = new PoolQueue(keys);
            try (Jedis jedis = new Jedis("127.0.0.1", redis.port(), 30_000)) {
                queue.ensureGroup(jedis);
                var pipeline = jedis.pipelined();
                // the warm-up tasks first (the worker's JIT), then the measured ones
                for (int i = 0; i < warmUp + tasks; i++) {
                    pipeline.sendCommand(Protocol.Command.XADD, queue.xaddArgs(Task.of("t" + i, "echo", new byte[0], keys.reply("bench"))));
                    if (i % 10_000 == 0) {
                        pipeline.sync();
                    }
                }
                pipeline.sync();
                String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                Path log = Files.createTempFile("consume-bench-worker", ".log");
                List<String> command = new java.util.ArrayList<>(List.of(javaBin, "--enable-native-access=ALL-UNNAMED"));
                String extra = System.getenv("BENCH_WORKER_JVM_ARGS");
                if (extra != null && !extra.isBlank()) {
                    command.addAll(List.of(extra.trim().split("\\s+")));
                }
                command.addAll(List.of("-jar", workerJar().toString()));
                ProcessBuilder pb = new ProcessBuilder(command)
                        .redirectErrorStream(true).redirectOutput(log.toFile());
                pb.environment().putAll(java.util.Map.of("RESERVOIR_POOL", "bench", "RESERVOIR_REDIS_URL", redis.url(),
                        "RESERVOIR_THREADS", Integer.toString(threads), "RESERVOIR_PREFETCH", Integer.toString(prefetch),
                        "RESERVOIR_HTTP_PORT", "-1", "RESERVOIR_WORKER_ID", "bench-worker"));
                Process worker = pb.start();
                Process perf = null;
                double redisCpuBefore = 0;
                double workerCpuBefore = 0;
                java.util.Map<String, long[]> threadsBefore = java.util.Map.of();
                long start = 0;
                long done = 0;
                long startCount = 0;
                while (done < (long) warmUp + tasks) {
                    Thread.sleep(start == 0 ? 1 : 20);
                    String completed = jedis.hget(keys.stats(), "completed");
                    done = completed == null ? 0 : Long.parseLong(completed);
                    if (start == 0 && done >= warmUp) {
                        start = System.nanoTime();
                        startCount = done;
                        redisCpuBefore = redisCpu(jedis);
                        workerCpuBefore = processCpu(worker);
                        threadsBefore = threadStats(worker.pid());
                        perf = startPerf(worker.pid(), jedis);
                    }
                    if (!worker.isAlive()) {
                        throw new IllegalStateException("worker died: " + Files.readString(log));
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double workerCpu = processCpu(worker) - workerCpuBefore;
                java.util.Map<String, long[]> threadsAfter = threadStats(worker.pid());
                long switches = 0;
                long ownTicks = 0;
                long jitTicks = 0;
                StringBuilder perThread = new StringBuilder("# per thread group over the window (us cpu/task, switches/task):");
                for (var e : threadsAfter.entrySet()) {
                    long[] before = threadsBefore.getOrDefault(e.getKey(), new long[2]);
                    long ticks = e.getValue()[0] - before[0];
                    long sw = e.getValue()[1] - before[1];
                    switches += sw;
                    if (e.getKey().startsWith("reservoir-")) {
                        ownTicks += ticks;
                    } else if (e.getKey().contains("CompilerThre")) {
                        jitTicks += ticks;
                    }
                    if (ticks > 0 || sw > 0) {
                        perThread.append(String.format(Locale.ROOT, " %s %.2f/%.3f", e.getKey(), ticks * 1e6 / 100 / (done - startCount),
                                (double) sw / (done - startCount)));
                    }
                }
                double redisCpu = redisCpu(jedis) - redisCpuBefore;
                long measured = done - startCount;
                double rate = measured / seconds;
                double workerCpuTotal = processCpu(worker);
                if (perf != null) {
                    new ProcessBuilder("kill", "-INT", Long.toString(perf.pid())).start().waitFor();
                    perf.waitFor();
                }
                for (String line : jedis.info("commandstats").split("\r?\n")) {
                    if (line.startsWith("cmdstat_")) {
                        System.out.println("# " + line);
                    }
                }
                worker.destroy();
                worker.waitFor();
                System.out.printf(Locale.ROOT, "consume tasks_per_s %.0f%n", rate);
                System.out.printf(Locale.ROOT, "consume xadd_ceiling_per_s %.0f%n", ceiling);
                System.out.printf(Locale.ROOT, "consume ratio %.3f%n", rate / ceiling);
                System.out.printf(Locale.ROOT, "consume worker_cpu_us_per_task %.2f%n", workerCpu * 1e6 / measured);
                System.out.printf(Locale.ROOT, "consume redis_cpu_us_per_task %.2f%n", redisCpu * 1e6 / measured);
                System.out.printf(Locale.ROOT, "consume worker_context_switches_per_task %.3f%n", (double) switches / measured);
                System.out.println(perThread + " (clock ticks of 10 ms: coarse)");
                System.out.printf(Locale.ROOT, "consume worker_own_threads_cpu_us_per_task %.2f (JIT compiler threads %.2f)%n",
                        ownTicks * 1e4 / measured, jitTicks * 1e4 / measured);
                System.out.printf(Locale.ROOT, "# measured window: %d tasks in %.2fs, redis cpu %.2fs, worker cpu %.2fs (whole life incl. start-up %.2fs)%n",
                        measured, seconds, redisCpu, workerCpu, workerCpuTotal);
                System.out.printf(Locale.ROOT, "(%d no-op tasks measured after %d warm-up tasks, 1 worker process, %d threads, prefetch %d, %d cores)%n", tasks, warmUp, threads,
                        prefetch, Runtime.getRuntime().availableProcessors());
            }
        }
    }

    /** perf record on the worker and Redis when BENCH_PERF names the output file, else null. */
    private static Process startPerf(long workerPid, Jedis jedis) throws IOException {
        String out = System.getenv("BENCH_PERF");
        if (out == null || out.isBlank()) {
            return null;
        }
        String redisPid = null;
        for (String line : jedis.info("server").split("\r?\n")) {
            if (line.startsWith("process_id:")) {
                redisPid = line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return new ProcessBuilder("perf", "record", "-F", "1999", "-g", "-o", out, "-p", workerPid + "," + redisPid)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /**
     * Per thread group (name without its trailing number): CPU ticks (utime+stime from
     * /proc/PID/task/TID/stat) and context switches (voluntary + involuntary, from .../status; each
     * is a park/unpark or a blocking read: the cost the worker's hand-offs add). Threads that ended
     * are missing, so deltas are per group of threads alive through the window. Empty where /proc is.
     */
    private static java.util.Map<String, long[]> threadStats(long pid) throws IOException {
        java.util.Map<String, long[]> out = new java.util.TreeMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return out;
        }
        try (var dirs = Files.list(tasks)) {
            for (Path tid : dirs.toList()) {
                try {
                    String stat = Files.readString(tid.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9#-]+$", "");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long[] v = out.computeIfAbsent(name, k -> new long[2]);
                    v[0] += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
                    for (String line : Files.readAllLines(tid.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            v[1] += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    /** The process's CPU time (user + system, all threads) in seconds. */
    private static double processCpu(Process process) {
        return process.toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9)
                .orElseThrow(() -> new IllegalStateException("this OS does not report the worker's CPU time"));
    }

    private static double redisCpu(Jedis jedis) {
        double total = 0;
        for (String line : jedis.info("cpu").split("\r?\n")) {
            if (line.startsWith("used_cpu_user:") || line.startsWith("used_cpu_sys:")) {
                total += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return total;
    }

    /** The packaged worker (its manifest puts target/lib on the classpath). */
    private static Path workerJar() {
        for (Path dir : List.of(Path.of("target"), Path.of("worker", "target"))) {
            Path jar = dir.resolve("reservoir-worker-0.1.0-SNAPSHOT.jar");
            if (Files.exists(jar)) {
                return jar;
            }
        }
        throw new IllegalStateException("no worker jar: run ./mvnw -B -DskipTests package -pl worker -am first");
    }

    /**
     * {@code redis-benchmark -P 16 XADD} against the same server: the machine's ceiling for stream writes.
     * One run varies by ±15 % on a shared 2-core machine, so the ceiling is the median of three.
     */
    private static double xaddCeiling(int port) throws IOException, InterruptedException {
        double[] runs = new double[3];
        for (int i = 0; i < runs.length; i++) {
            Process p = new ProcessBuilder("redis-benchmark", "-p", Integer.toString(port), "-P", "16", "-n", "300000", "-q", "XADD",
                    "ceiling", "*", "f", "v").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            Matcher m = Pattern.compile("([0-9.]+) requests per second").matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("could not read redis-benchmark output (apt-get install redis-tools): " + out);
            }
            runs[i] = Double.parseDouble(m.group(1));
            new ProcessBuilder("redis-cli", "-p", Integer.toString(port), "DEL", "ceiling").start().waitFor();
        }
        System.out.printf(Locale.ROOT, "# xadd ceiling runs: %.0f %.0f %.0f (the median is used)%n", runs[0], runs[1], runs[2]);
        java.util.Arrays.sort(runs);
        return runs[1];
    }
}
