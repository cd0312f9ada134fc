package dev.reservoir.spec;

import static dev.reservoir.spec.SettingDefaults.*;

import dev.reservoir.protocol.Quantities;
import dev.reservoir.protocol.WorkerEnv;
import java.time.Duration;
import java.util.List;

/**
 * The one definition of a pool's settings: where each sits in a WorkerPool spec, the environment
 * variable that carries it to a worker (null: the setting is the pool keeper's, not the worker's),
 * its default and its bounds. The operator, local mode and the worker all read settings through
 * {@link SettingReader} with this table, so one YAML means one pool everywhere; the CRD's schema is
 * annotated with the same constants ({@link SettingDefaults}) and a test checks it against this table.
 */
public enum Setting {
    REPLICAS("replicas", null, Kind.COUNT, SettingDefaults.REPLICAS, 0, REPLICAS_MAX),
    THREADS("threads", WorkerEnv.THREADS, Kind.COUNT, SettingDefaults.THREADS, 1, THREADS_MAX),
    THREAD_MODE("threadMode", WorkerEnv.THREAD_MODE, Kind.CHOICE, SettingDefaults.THREAD_MODE, List.of("platform", "virtual")),
    PREFETCH("prefetch", WorkerEnv.PREFETCH, Kind.COUNT, SettingDefaults.PREFETCH, 0, PREFETCH_MAX),
    BLOCK_SIZE("memoryPool.blockSize", WorkerEnv.BLOCK_SIZE, Kind.BYTES, SettingDefaults.BLOCK_SIZE, BLOCK_SIZE_MIN, BLOCK_SIZE_MAX),
    /** No default: the worker derives it from threads + prefetch ({@link PoolSettings#effectiveBlocks()}). */
    BLOCKS("memoryPool.blocks", WorkerEnv.BLOCKS, Kind.COUNT, null, 1, BLOCKS_MAX),
    /** No default: the worker derives it from blocks, threads and prefetch ({@link PoolSettings#effectiveMaxBlocks()}). */
    MAX_BLOCKS("memoryPool.maxBlocks", WorkerEnv.MAX_BLOCKS, Kind.COUNT, null, 1, MAX_BLOCKS_MAX),
    VISIBILITY_TIMEOUT("queue.visibilityTimeout", WorkerEnv.VISIBILITY_TIMEOUT, Kind.DURATION, SettingDefaults.VISIBILITY_TIMEOUT,
            millis(VISIBILITY_TIMEOUT_MIN), millis(VISIBILITY_TIMEOUT_MAX)),
    MAX_ATTEMPTS("queue.maxAttempts", WorkerEnv.MAX_ATTEMPTS, Kind.COUNT, SettingDefaults.MAX_ATTEMPTS, 1, MAX_ATTEMPTS_MAX),
    RESULT_TTL("queue.resultTtl", WorkerEnv.RESULT_TTL, Kind.DURATION, SettingDefaults.RESULT_TTL, millis(RESULT_TTL_MIN),
            millis(RESULT_TTL_MAX)),
    MAX_RESULTS("queue.maxResults", WorkerEnv.MAX_RESULTS, Kind.COUNT, SettingDefaults.MAX_RESULTS, MAX_RESULTS_MIN, MAX_RESULTS_MAX),
    DEAD_LETTER_TTL("queue.deadLetterTtl", WorkerEnv.DEAD_LETTER_TTL, Kind.DURATION, SettingDefaults.DEAD_LETTER_TTL,
            millis(DEAD_LETTER_TTL_MIN), millis(DEAD_LETTER_TTL_MAX)),
    MAX_DEAD_LETTERS("queue.maxDeadLetters", WorkerEnv.MAX_DEAD_LETTERS, Kind.COUNT, SettingDefaults.MAX_DEAD_LETTERS,
            MAX_DEAD_LETTERS_MIN, MAX_DEAD_LETTERS_MAX),
    DISPATCH("dispatch", WorkerEnv.DISPATCH, Kind.CHOICE, SettingDefaults.DISPATCH, List.of("SharedQueue", "RoundRobin", "Random")),
    MAX_TASKS_PER_WORKER("maxTasksPerWorker", WorkerEnv.MAX_TASKS_PER_WORKER, Kind.COUNT, SettingDefaults.MAX_TASKS_PER_WORKER, 0,
            Long.MAX_VALUE),
    DRAIN_TIMEOUT("drainTimeout", WorkerEnv.DRAIN_TIMEOUT, Kind.DURATION, SettingDefaults.DRAIN_TIMEOUT, 0, millis(DRAIN_TIMEOUT_MAX)),
    /** A task's own {@code timeout} field wins over it; 0s: no timeout. */
    TASK_TIMEOUT("taskTimeout", WorkerEnv.TASK_TIMEOUT, Kind.DURATION, SettingDefaults.TASK_TIMEOUT, 0, millis(TASK_TIMEOUT_MAX)),
    MIN_REPLICAS("autoscaling.minReplicas", null, Kind.COUNT, SettingDefaults.MIN_REPLICAS, 0, REPLICAS_MAX),
    /** No default: required whenever autoscaling is set. */
    MAX_REPLICAS("autoscaling.maxReplicas", null, Kind.COUNT, null, 1, REPLICAS_MAX),
    TARGET_BACKLOG_PER_WORKER("autoscaling.targetBacklogPerWorker", null, Kind.COUNT, SettingDefaults.TARGET_BACKLOG_PER_WORKER, 1,
            TARGET_BACKLOG_PER_WORKER_MAX),
    SCALE_DOWN_STABILIZATION_SECONDS("autoscaling.scaleDownStabilizationSeconds", null, Kind.COUNT,
            SettingDefaults.SCALE_DOWN_STABILIZATION_SECONDS, 0, SCALE_DOWN_STABILIZATION_SECONDS_MAX);

    /** How a setting is written. */
    public enum Kind {
        /** A whole number; bounds are the number. */
        COUNT,
        /** A byte size (64Ki, 1Mi, 4096); bounds in bytes. */
        BYTES,
        /** A duration (500ms, 30s, 2m, 1h); bounds in milliseconds. */
        DURATION,
        /** One of {@link #choices()}, spelled exactly. */
        CHOICE
    }

    private final String field;
    private final String env;
    private final Kind kind;
    private final String defaultValue;
    private final long min;
    private final long max;
    private final List<String> choices;

    Setting(String field, String env, Kind kind, String defaultValue, long min, long max) {
        this(field, env, kind, defaultValue, min, max, List.of());
    }

    Setting(String field, String env, Kind kind, String defaultValue, List<String> choices) {
        this(field, env, kind, defaultValue, 0, 0, choices);
    }

    Setting(String field, String env, Kind kind, String defaultValue, long min, long max, List<String> choices) {
        this.field = field;
        this.env = env;
        this.kind = kind;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.choices = choices;
    }

    /** The path under {@code spec} in a WorkerPool, e.g. {@code queue.maxAttempts}. */
    public String field() {
        return field;
    }

    /** The path as problems name it: {@code spec.queue.maxAttempts}. */
    public String specPath() {
        return "spec." + field;
    }

    /** The worker's environment variable, or null for a setting only the pool keeper reads. */
    public String env() {
        return env;
    }

    public Kind kind() {
        return kind;
    }

    /** The default in the spec's own spelling, or null when there is none (derived or required). */
    public String defaultValue() {
        return defaultValue;
    }

    /** Least value (a count, bytes or milliseconds by {@link #kind()}); unused for choices. */
    public long min() {
        return min;
    }

    /** Greatest value, in the unit of {@link #min()}. */
    public long max() {
        return max;
    }

    /** The allowed spellings of a choice; empty for other kinds. */
    public List<String> choices() {
        return choices;
    }

    /** The bounds as a user writes them, for messages: "1 to 1024", "64 bytes to 64Mi", "1s to 24h". */
    public String range() {
        return switch (kind) {
            case COUNT -> min + " to " + max;
            case BYTES -> Quantities.formatBytes(min) + (min % 1024 == 0 ? "" : " bytes") + " to " + Quantities.formatBytes(max);
            case DURATION -> Quantities.formatDuration(Duration.ofMillis(min)) + " to "
                    + Quantities.formatDuration(Duration.ofMillis(max));
            case CHOICE -> String.join(", ", choices);
        };
    }

    private static long millis(String duration) {
        return Quantities.parseDuration("duration", duration).toMillis();
    }
}
