package dev.reservoir.worker;

import static dev.reservoir.protocol.WorkerEnv.*;

import dev.reservoir.protocol.PoolKeys;
import dev.reservoir.protocol.Quantities;
import dev.reservoir.redis.RedisEndpoint;
import dev.reservoir.spec.Dispatch;
import dev.reservoir.spec.PoolSettings;
import dev.reservoir.spec.Retention;
import dev.reservoir.spec.ThreadMode;
import dev.reservoir.worker.memory.LeakDetection;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Everything a worker is told at start, read from {@code RESERVOIR_*} environment variables (the
 * operator sets them on pods, local mode on child processes) and {@code --name=value} flags (which win).
 * The pool's settings (threads, memory pool, queue, ...) are read with the one definition the operator
 * and local mode use ({@link PoolSettings}, {@link dev.reservoir.spec.Setting}); the rest are this
 * process's own. {@link #fromEnvironment} validates every value and reports all problems at once, one
 * line each, naming the variable and what to do. Meanings and defaults: docs/configuration.md.
 */
public record WorkerConfig(
        String pool,
        String workerId,
        RedisEndpoint redis,
        PoolSettings settings,
        Duration memoryWait,
        LeakDetection leakDetection,
        int httpPort,
        HttpToken httpToken,
        Path handlersDir,
        Duration heartbeatInterval) {

    /** Raised with every problem found, one per line. */
    public static final class InvalidConfigException extends RuntimeException {
        private final List<String> problems;

        InvalidConfigException(List<String> problems) {
            super(String.join("\n", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    public static WorkerConfig fromEnvironment(Map<String, String> env, String[] args) {
        Map<String, String> values = new HashMap<>(env);
        List<String> problems = new ArrayList<>();
        for (String arg : args) {
            // --threads=8 → RESERVOIR_THREADS=8
            if (arg.startsWith("--") && arg.contains("=")) {
                String name = arg.substring(2, arg.indexOf('=')).replace('-', '_').toUpperCase(Locale.ROOT);
                values.put("RESERVOIR_" + name, arg.substring(arg.indexOf('=') + 1));
            } else {
                problems.add("argument '" + arg + "' is not understood: use --name=value, e.g. --threads=8 (see docs/configuration.md)");
            }
        }
        Reader r = new Reader(values, problems);
        String pool = r.text(POOL, "default");
        try {
            new PoolKeys(pool);
        } catch (IllegalArgumentException e) {
            problems.add(POOL + ": " + e.getMessage());
        }
        String workerId = r.text(WORKER_ID, defaultWorkerId());
        if (!PoolKeys.isValidId(workerId)) {
            problems.add(WORKER_ID + "='" + workerId + "': use 1-128 letters, digits, '.', '_' or '-' (the pod name is a good id)");
        }
        RedisEndpoint redis = null;
        try {
            redis = RedisEndpoint.parse(r.text(REDIS_URL, "redis://127.0.0.1:6379"), values.get(REDIS_PASSWORD));
        } catch (IllegalArgumentException e) {
            problems.add(REDIS_URL + ": " + e.getMessage());
        }
        PoolSettings settings = PoolSettings.fromEnv(values, problems);
        Duration memoryWait = r.duration(MEMORY_WAIT, Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1));
        LeakDetection leakDetection = r.choice(LEAK_DETECTION, LeakDetection.SAMPLED);
        int httpPort = (int) r.number(HTTP_PORT, 8080, -1, 65535);
        String token = values.get(HTTP_TOKEN);
        HttpToken httpToken = token == null || token.isEmpty() ? null : new HttpToken(token);
        if (httpToken == null && token != null) {
            problems.add(HTTP_TOKEN + " is set but empty: unset it (drain and status then answer loopback only) or give the pool's token");
        }
        String handlersDir = r.text(HANDLERS_DIR, "/opt/reservoir/handlers");
        Duration heartbeat = r.duration(HEARTBEAT_INTERVAL, Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMinutes(1));
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
        return new WorkerConfig(pool, workerId, redis, settings, memoryWait, leakDetection, httpPort, httpToken,
                Path.of(handlersDir), heartbeat);
    }

    public int threads() {
        return settings.threads();
    }

    public ThreadMode threadMode() {
        return settings.threadMode();
    }

    public int prefetch() {
        return settings.prefetch();
    }

    /** Bytes per memory-pool block (at most 64Mi, so an int). */
    public int blockSize() {
        return (int) settings.blockSize();
    }

    /** Blocks allocated at start: as set, or derived from threads + prefetch. */
    public int blocks() {
        return settings.effectiveBlocks();
    }

    /** The memory pool's cap: as set, or derived. */
    public int maxBlocks() {
        return settings.effectiveMaxBlocks();
    }

    public Duration visibilityTimeout() {
        return settings.visibilityTimeout();
    }

    public int maxAttempts() {
        return settings.maxAttempts();
    }

    public long maxTasksPerWorker() {
        return settings.maxTasksPerWorker();
    }

    public Duration drainTimeout() {
        return settings.drainTimeout();
    }

    /** Run timeout of a task that sets none of its own; zero: none. */
    public Duration taskTimeout() {
        return settings.taskTimeout();
    }

    public Dispatch dispatch() {
        return settings.dispatch();
    }

    /** What the pool keeps after its tasks end: results and dead letters, by count and by age. */
    public Retention retention() {
        return settings.retention();
    }

    /** Claim slots: threads plus prefetch. The worker never holds more claimed tasks than this. */
    public int slots() {
        return settings.slots();
    }

    private static String defaultWorkerId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "worker";
        }
        String id = host.replaceAll("[^A-Za-z0-9._-]", "-") + "-" + ProcessHandle.current().pid() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
        return id.length() > 120 ? id.substring(id.length() - 120) : id;
    }

    /** Reads and checks values, collecting problems instead of stopping at the first. */
    private record Reader(Map<String, String> values, List<String> problems) {
        String text(String name, String dflt) {
            String v = values.get(name);
            return v == null || v.isBlank() ? dflt : v.trim();
        }

        long number(String name, long dflt, long min, long max) {
            String v = values.get(name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            try {
                long n = Long.parseLong(v.trim());
                if (n < min || n > max) {
                    problems.add(name + ": " + v.trim() + " is out of range: use " + min + " to " + max);
                    return dflt;
                }
                return n;
            } catch (NumberFormatException e) {
                problems.add(name + ": '" + v + "' is not a whole number: use " + min + " to " + max);
                return dflt;
            }
        }

        /** A duration within [min, max]: as the pool's settings are checked (SettingReader), in the same words. */
        Duration duration(String name, Duration dflt, Duration min, Duration max) {
            Duration d = parse(name, dflt, v -> Quantities.parseDuration(name, v));
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                problems.add(name + ": " + values.get(name).trim() + " is out of range: use " + Quantities.formatDuration(min) + " to "
                        + Quantities.formatDuration(max));
                return dflt;
            }
            return d;
        }

        <E extends Enum<E>> E choice(String name, E dflt) {
            String v = values.get(name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            for (E e : dflt.getDeclaringClass().getEnumConstants()) {
                if (e.name().equalsIgnoreCase(v.trim())) {
                    return e;
                }
            }
            List<String> names = new ArrayList<>();
            for (E e : dflt.getDeclaringClass().getEnumConstants()) {
                names.add(e.name().toLowerCase(Locale.ROOT));
            }
            problems.add(name + ": '" + v + "' is not one of " + String.join(", ", names));
            return dflt;
        }

        private <T> T parse(String name, T dflt, Function<String, T> parser) {
            String v = values.get(name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            try {
                return parser.apply(v);
            } catch (IllegalArgumentException | ArithmeticException e) {
                problems.add(name + ": '" + v + "' is not a duration: use a number and a unit, e.g. 500ms, 30s, 2m, 1h");
                return dflt;
            }
        }
    }

    @Override
    public String toString() {
        return "pool=" + pool + " worker=" + workerId + " redis=" + redis + " threads=" + threads() + " (" + threadMode().wire()
                + ") prefetch=" + prefetch() + " memoryPool=" + Quantities.formatBytes(blockSize()) + "x" + blocks() + "(max " + maxBlocks() + ")"
                + " visibilityTimeout=" + Quantities.formatDuration(visibilityTimeout()) + " maxAttempts=" + maxAttempts()
                + " maxTasksPerWorker=" + maxTasksPerWorker() + " drainTimeout=" + Quantities.formatDuration(drainTimeout())
                + " taskTimeout=" + Quantities.formatDuration(taskTimeout())
                + " pid=" + ManagementFactory.getRuntimeMXBean().getPid();
    }
}
