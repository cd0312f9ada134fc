package dev.reservoir.bench.e2e;

import dev.reservoir.cli.CliException;
import dev.reservoir.cli.ExitCodes;
import dev.reservoir.cli.LocalPoolOptions;
import dev.reservoir.client.MapOptions;
import dev.reservoir.client.Pool;
import dev.reservoir.client.Reservoir;
import dev.reservoir.client.Result;
import dev.reservoir.client.ResultIterator;
import dev.reservoir.local.LocalPool;
import dev.reservoir.local.PoolSpec;
import dev.reservoir.protocol.Heartbeat;
import dev.reservoir.redis.RedisEndpoint;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import redis.clients.jedis.Jedis;

@Command(name = "bench", mixinStandardHelpOptions = true,
        header = "End-to-end benchmark: noop, latency, sleep and cpu workloads through real workers.",
        description = {"End-to-end benchmark through Redis and real worker processes (client → queue → worker → reply):",
                "  noop     N echo tasks with empty payloads, streamed with imap → tasks/s",
                "  sleep    2,000 × sleep 10 ms → wall time vs the ideal for the pool's thread slots",
                "  cpu      sha256 of 1 MiB × 27 rounds (~20 ms each) → tasks/s vs what the machine's cores allow",
                "  latency  synchronous apply round trips (echo) → p50 / p99 / p99.9",
                "Prints machine-readable 'workload metric value' lines, then a table. Starts its own local pool",
                "(--workers × --threads, embedded Redis) unless --redis names a running one."})
final class BenchCommand implements Callable<Integer> {
    @Mixin
    LocalPoolOptions local;

    @Option(names = "--redis", paramLabel = "URL", description = "Benchmark the running pool at this Redis instead of starting one.")
    String redisUrl;

    @Option(names = {"-p", "--pool"}, paramLabel = "NAME", defaultValue = "bench", description = "Pool name (default ${DEFAULT-VALUE}).")
    String poolName;

    @Option(names = {"-w", "--workload"}, paramLabel = "NAME", split = ",", defaultValue = "noop,latency,sleep,cpu",
            description = "Workloads to run, comma-separated (default ${DEFAULT-VALUE}).")
    List<String> workloads;

    @Option(names = "--noop-tasks", paramLabel = "N", defaultValue = "100000", description = "noop: tasks (default ${DEFAULT-VALUE}).")
    int noopTasks;

    @Option(names = "--sleep-tasks", paramLabel = "N", defaultValue = "2000", description = "sleep: tasks (default ${DEFAULT-VALUE}).")
    int sleepTasks;

    @Option(names = "--cpu-tasks", paramLabel = "N", defaultValue = "400", description = "cpu: tasks (default ${DEFAULT-VALUE}).")
    int cpuTasks;

    @Option(names = "--latency-calls", paramLabel = "N", defaultValue = "2000", description = "latency: calls (default ${DEFAULT-VALUE}).")
    int latencyCalls;

    @Option(names = "--latency-warm-up", paramLabel = "N", description = "latency: warm-up calls at least (default: 10,000 per worker);"
            + " the warm-up goes on until the JIT compilers are quiet.")
    Long latencyWarmUp;

    @Option(names = "--cores", paramLabel = "N", description = "cpu: cores the workers may use (default: this machine's).")
    Integer cores;

    @Option(names = "--check", description = "Exit 1 when a target is missed (the targets are in docs/benchmarks.md).")
    boolean check;

    /** The rows of the final table, in the order measured. This command's state is confined to the thread running call(). */
    private final List<String[]> rows = new ArrayList<>();
    private boolean missed;
    private CpuMeter cpu;

    @Override
    public Integer call() {
        for (String w : workloads) {
            if (!List.of("noop", "sleep", "cpu", "latency").contains(w)) {
                throw new CliException(ExitCodes.USAGE, "--workload: unknown workload '" + w + "' (use noop, sleep, cpu, latency)");
            }
        }
        LocalPool pool = null;
        String url = redisUrl;
        if (url == null) {
            // Prefetch 128: noop's tasks take microseconds, so a worker's claim must be deep for a read to carry many
            // of them; PrefetchBound keeps longer tasks (sleep, cpu) from claiming more than their threads start soon.
            PoolSpec spec = local.spec(poolName, 128);
            System.err.printf("starting a local pool: %d workers × %d threads, prefetch %d%n", spec.replicas(), spec.threads(), spec.prefetch());
            pool = LocalPoolOptions.startAndWait(spec, LocalPool.Options.defaults().withEvents(line -> System.err.println("[pool] " + line)));
            url = pool.redisUrl();
        }
        try (Reservoir reservoir = Reservoir.connect(url)) {
            Pool p = reservoir.pool(poolName);
            LocalPool ownPool = pool;
            cpu = new CpuMeter(reservoir.endpoint(), ownPool == null ? null : ownPool::workerPids);
            int slots = p.status().threads();
            if (slots == 0) {
                throw new CliException(ExitCodes.LOCAL_POOL_FAILED, "pool " + poolName + " has no live workers at " + reservoir.endpoint());
            }
            System.err.printf("pool %s: %d workers, %d thread slots%n", poolName, p.status().workers().size(), slots);
            for (String w : workloads) {
                switch (w) {
                    case "noop" -> noop(p);
                    case "latency" -> latency(p, reservoir.endpoint());
                    case "sleep" -> sleep(p, slots);
                    case "cpu" -> cpu(p);
                    default -> throw new IllegalStateException(w);
                }
            }
        } finally {
            if (pool != null) {
                pool.close();
            }
        }
        System.out.println();
        System.out.printf("%-8s %-28s %14s  %s%n", "WORKLOAD", "METRIC", "VALUE", "TARGET");
        for (String[] r : rows) {
            System.out.printf("%-8s %-28s %14s  %s%n", (Object[]) r);
        }
        return check && missed ? ExitCodes.TASK_FAILED : ExitCodes.OK;
    }

    /** Prints one 'workload metric value' line and keeps the row, with its {@link Target} if it has one, for the table. */
    private void metric(String workload, String metric, double value, String format) {
        String v = String.format(Locale.ROOT, format, value);
        System.out.println(workload + " " + metric + " " + v);
        System.out.flush();
        Target target = Target.of(workload, metric).orElse(null);
        boolean met = target == null || target.metBy(value);
        rows.add(new String[] {workload, metric, v, target == null ? "" : target.text() + (met ? "  met" : "  MISSED")});
        if (!met) {
            missed = true;
        }
    }

    /** CPU per task of each process since {@code before}: comparable between runs even on a busy machine. */
    private void cpuMetrics(String workload, CpuMeter.Sample before, long tasks) {
        CpuMeter.Sample after = cpu.sample();
        double[] us = CpuMeter.microsPerTask(before, after, tasks);
        String[] part = {"client", "workers", "redis"};
        for (int i = 0; i < part.length; i++) {
            if (us[i] >= 0) {
                metric(workload, part[i] + "_cpu_us_per_task", us[i], "%.1f");
            }
        }
        double stolen = CpuMeter.stolenPercent(before, after);
        if (stolen >= 0) {
            metric(workload, "host_steal_pct", stolen, "%.1f");
        }
    }

    /** n times the same payload, without n references held (nCopies is a view). */
    private static Iterable<byte[]> repeat(byte[] payload, int n) {
        return java.util.Collections.nCopies(n, payload);
    }

    private static long drain(ResultIterator it) {
        long n = 0;
        while (it.hasNext()) {
            it.next();
            n++;
        }
        return n;
    }

    /** Set once the pool's JVMs have been warmed up by {@link #warmUp}. */
    private boolean warm;
    /** Set once {@link #jitMillis} has said that some workers do not report their JIT time. */
    private boolean toldJitUnknown;

    /**
     * Runs rounds of no-op tasks until the rate settles: at least five rounds of 40,000, then until two
     * rounds in a row are within 7 % of each other and the JIT compilers that can be seen ({@link #jitMillis})
     * worked under 100 ms in the last round; at most fifteen. JIT compilation is start-up cost, not what a
     * running pool pays, so it is kept out of the measurement.
     */
    private void warmUp(Pool p) {
        if (warm) {
            return;
        }
        MapOptions options = new MapOptions(8192, 256);
        int round = 40_000;
        double previous = 0;
        long jit = jitMillis(p);
        for (int i = 1; i <= 15; i++) {
            long start = System.nanoTime();
            drain(p.imap("echo", repeat(new byte[0], round), options));
            double rate = round * 1e9 / (System.nanoTime() - start);
            long now = jitMillis(p);
            System.err.printf(Locale.ROOT, "warm-up round %d: %.0f tasks/s, JIT compilers %d ms%n", i, rate, now - jit);
            boolean quiet = now - jit < 100;
            jit = now;
            if (i >= 5 && quiet && Math.abs(rate - previous) <= 0.07 * Math.max(rate, previous)) {
                break;
            }
            previous = rate;
        }
        settle();
        warm = true;
    }

    /**
     * Waits until the workers of our own pool are at rest: their JIT compilers keep working through a
     * backlog for seconds after the load stops, and measuring while they do measures them (the latency
     * tail above all). At most 20 s; a pool that is not ours cannot be watched and is measured at once.
     */
    private void settle() {
        CpuMeter.Sample last = cpu.sample();
        if (last.workersNanos() < 0) {
            return;
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            CpuMeter.Sample now = cpu.sample();
            long busy = now.workersNanos() - last.workersNanos();
            last = now;
            if (busy < 25_000_000) { // all workers together under 5 % of a core for half a second: at rest
                return;
            }
            System.err.printf(Locale.ROOT, "waiting for the workers to settle (%.0f ms of CPU in the last 0.5 s)%n", busy / 1e6);
        }
    }

    private void noop(Pool p) {
        MapOptions options = new MapOptions(8192, 256);
        warmUp(p);
        CpuMeter.Sample before = cpu.sample();
        long start = System.nanoTime();
        long n = drain(p.imap("echo", repeat(new byte[0], noopTasks), options));
        double perSecond = n * 1e9 / (System.nanoTime() - start);
        metric("noop", "tasks", n, "%.0f");
        metric("noop", "tasks_per_s", perSecond, "%.0f");
        cpuMetrics("noop", before, n);
    }

    private void latency(Pool p, RedisEndpoint redis) {
        byte[] x = "x".getBytes(StandardCharsets.UTF_8);
        warmUp(p);
        warmUpRoundTrip(p, x);
        Histogram ping = pingRoundTrips(redis, latencyCalls);
        System.err.printf(Locale.ROOT, "latency: measuring %,d calls%n", latencyCalls);
        Histogram h = new Histogram(60_000_000_000L, 3);
        CpuMeter.Sample before = cpu.sample();
        roundTrips(p, x, latencyCalls, 0, h); // the warm-up's own loop, compiled by now: no OSR compile mid-measurement
        double p50 = h.getValueAtPercentile(50) / 1e6;
        double p99 = h.getValueAtPercentile(99) / 1e6;
        double p999 = h.getValueAtPercentile(99.9) / 1e6;
        metric("latency", "calls", latencyCalls, "%.0f");
        metric("latency", "p50_ms", p50, "%.3f");
        metric("latency", "p99_ms", p99, "%.3f");
        metric("latency", "p999_ms", p999, "%.3f");
        metric("latency", "ping_p50_ms", ping.getValueAtPercentile(50) / 1e6, "%.3f");
        metric("latency", "ping_p99_ms", ping.getValueAtPercentile(99) / 1e6, "%.3f");
        cpuMetrics("latency", before, latencyCalls);
    }

    /**
     * The round trip of one task at a time takes other code paths than a stream of tasks (the caller sends its
     * own task, a runner writes its own outcome), and each of N workers sees only 1/N of the calls, so the JIT
     * compiles them for thousands of calls per worker; code it has not finished with shows in the median as
     * well as the tail (docs/benchmarks.md has the figures). So this runs rounds (2,000 calls and at least
     * 2.5 s, so that every worker published a heartbeat in between) until it made at least
     * {@code --latency-warm-up} calls (default 10,000 per worker) and the JIT compilers that can be seen
     * ({@link #jitMillis}) worked under 50 ms in total (2 % of a core) in two rounds in a row; at most twice
     * the minimum (and 4,000), so a pool whose workers do not report their JIT is warmed up by call count.
     */
    private void warmUpRoundTrip(Pool p, byte[] payload) {
        long minCalls = latencyWarmUp != null ? Math.max(0, latencyWarmUp) : 10_000L * Math.max(1, p.status().workers().size());
        long maxCalls = Math.max(4_000, 2 * minCalls); // room for the two quiet rounds
        Histogram h = new Histogram(60_000_000_000L, 3);
        long jit = jitMillis(p);
        int quiet = 0;
        long calls = 0;
        while (calls < maxCalls) {
            h.reset();
            int n = roundTrips(p, payload, 2_000, 2_500_000_000L, h);
            calls += n;
            long now = jitMillis(p);
            quiet = now - jit < 50 ? quiet + 1 : 0;
            System.err.printf(Locale.ROOT, "round-trip warm-up: %,d calls, p50 %.3f ms, p99 %.3f ms, JIT compilers %d ms in the last %,d%n",
                    calls, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, now - jit, n);
            jit = now;
            if (calls >= minCalls && quiet >= 2) {
                return;
            }
        }
        System.err.printf(Locale.ROOT, "round-trip warm-up: the JIT compilers are still busy after %,d calls; measuring anyway%n", calls);
    }

    /** Synchronous echo calls one at a time, at least {@code calls} and for at least {@code minNanos}, into {@code h}; returns how many. */
    private static int roundTrips(Pool p, byte[] payload, int calls, long minNanos, Histogram h) {
        long start = System.nanoTime();
        int n = 0;
        while (n < calls || System.nanoTime() - start < minNanos) {
            long t = System.nanoTime();
            p.apply("echo", payload, Duration.ofSeconds(30));
            h.recordValue(System.nanoTime() - t);
            n++;
        }
        return n;
    }

    /**
     * The machine's own round trip, just before the calls: {@code n} Redis PINGs one at a time. A PING crosses
     * two threads where a call crosses six; when the hypervisor stops this machine's CPUs now and then, PINGs
     * show a tail too.
     */
    private static Histogram pingRoundTrips(RedisEndpoint redis, int n) {
        Histogram h = new Histogram(60_000_000_000L, 3);
        try (Jedis jedis = redis.connect("reservoir-bench-ping", Duration.ofSeconds(10))) {
            for (int i = 0; i < n + 1_000; i++) {
                long t = System.nanoTime();
                jedis.ping();
                if (i >= 1_000) { // the first thousand warm the path up
                    h.recordValue(System.nanoTime() - t);
                }
            }
        }
        return h;
    }

    /**
     * JIT compilation time so far of this JVM and of the live workers that report theirs: {@code jit_ms} is an
     * optional diagnostic field of the heartbeat (docs/protocol.md), so a worker that omits it adds nothing, and
     * the warm-ups then rest on their rates and call counts for it. Says so once.
     */
    private long jitMillis(Pool p) {
        CompilationMXBean own = ManagementFactory.getCompilationMXBean();
        long ms = own != null && own.isCompilationTimeMonitoringSupported() ? own.getTotalCompilationTime() : 0;
        List<Heartbeat> workers = p.status().workers();
        long silent = workers.stream().filter(h -> !h.reportsJit()).count();
        if (silent > 0 && !toldJitUnknown) {
            toldJitUnknown = true;
            System.err.printf("%d of %d workers do not report jit_ms: the warm-ups cannot see their JIT compilers%n", silent, workers.size());
        }
        return ms + workersJitMillis(workers);
    }

    /** The JIT time the workers report; those that omit {@code jit_ms} count as 0. */
    static long workersJitMillis(List<Heartbeat> workers) {
        return workers.stream().filter(Heartbeat::reportsJit).mapToLong(Heartbeat::jitMillis).sum();
    }

    private void sleep(Pool p, int slots) {
        int ms = 10;
        long start = System.nanoTime();
        long n = drain(p.imap("sleep", repeat(Integer.toString(ms).getBytes(StandardCharsets.UTF_8), sleepTasks), new MapOptions(4096, 128)));
        double wall = (System.nanoTime() - start) / 1e6;
        double ideal = Math.ceil((double) n / slots) * ms;
        metric("sleep", "tasks", n, "%.0f");
        metric("sleep", "slots", slots, "%.0f");
        metric("sleep", "wall_ms", wall, "%.0f");
        metric("sleep", "ideal_ms", ideal, "%.0f");
        metric("sleep", "wall_over_ideal", wall / ideal, "%.2f");
    }

    private void cpu(Pool p) {
        byte[] payload = "1Mix27".getBytes(StandardCharsets.UTF_8);
        // One task at a time first: the handler's time on an otherwise idle core.
        long[] micros = new long[15];
        for (int i = 0; i < micros.length; i++) {
            Result r = p.apply("sha256", payload, Duration.ofSeconds(60));
            micros[i] = r.durationMicros();
        }
        long[] warm = Arrays.copyOfRange(micros, 5, micros.length);
        Arrays.sort(warm);
        double singleMs = warm[warm.length / 2] / 1000.0;
        int usable = cores != null ? cores : Runtime.getRuntime().availableProcessors();
        double ideal = usable * 1000.0 / singleMs;
        long start = System.nanoTime();
        long n = drain(p.imap("sha256", repeat(payload, cpuTasks), new MapOptions(512, 16)));
        double perSecond = n * 1e9 / (System.nanoTime() - start);
        metric("cpu", "tasks", n, "%.0f");
        metric("cpu", "single_task_ms", singleMs, "%.1f");
        metric("cpu", "cores", usable, "%.0f");
        metric("cpu", "ideal_tasks_per_s", ideal, "%.1f");
        metric("cpu", "tasks_per_s", perSecond, "%.1f");
        metric("cpu", "efficiency", perSecond / ideal, "%.2f");
    }
}
