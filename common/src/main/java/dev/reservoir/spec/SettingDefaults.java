package dev.reservoir.spec;

/**
 * The defaults and bounds of a pool's settings as compile-time constants, because the WorkerPool
 * resource's schema annotations ({@code @Default}, {@code @Min}, {@code @Max}, {@code @Pattern}) can
 * only take constants. {@link Setting} is the table built from them that everything else reads; the
 * CRD drift test checks the generated schema against that table.
 */
public final class SettingDefaults {
    public static final String REPLICAS = "1";
    public static final int REPLICAS_MAX = 10_000;

    public static final String THREADS = "4";
    public static final int THREADS_MAX = 1024;
    public static final String THREAD_MODE = "platform";
    public static final String THREAD_MODE_PATTERN = "^(platform|virtual)$";
    public static final String PREFETCH = "1";
    public static final int PREFETCH_MAX = 1024;

    public static final String BLOCK_SIZE = "64Ki";
    public static final long BLOCK_SIZE_MIN = 64;
    public static final long BLOCK_SIZE_MAX = 64L << 20;
    /** Most blocks a pool may start with. */
    public static final int BLOCKS_MAX = 1 << 20;
    /** Most blocks a pool may grow to. */
    public static final int MAX_BLOCKS_MAX = 1 << 22;

    public static final String VISIBILITY_TIMEOUT = "30s";
    /** Claims are renewed every third of the visibility timeout: below a second that is more Redis calls than work. */
    public static final String VISIBILITY_TIMEOUT_MIN = "1s";
    public static final String VISIBILITY_TIMEOUT_MAX = "24h";
    public static final String MAX_ATTEMPTS = "3";
    public static final int MAX_ATTEMPTS_MAX = 100;

    // Retention: what a pool keeps in Redis after a task ends (docs/operations.md, "Sizing Redis").
    public static final String RESULT_TTL = "24h";
    /** Results live in per-minute buckets: a shorter life would end a bucket before it is full. */
    public static final String RESULT_TTL_MIN = "1m";
    public static final String RESULT_TTL_MAX = "168h";
    public static final String MAX_RESULTS = "1000000";
    public static final long MAX_RESULTS_MIN = 1000;
    public static final long MAX_RESULTS_MAX = 1_000_000_000;
    public static final String DEAD_LETTER_TTL = "168h";
    public static final String DEAD_LETTER_TTL_MIN = "1m";
    public static final String DEAD_LETTER_TTL_MAX = "8760h";
    public static final String MAX_DEAD_LETTERS = "100000";
    /** XADD MAXLEN ~ trims whole stream nodes (100 entries each): a smaller cap would not hold. */
    public static final long MAX_DEAD_LETTERS_MIN = 100;
    public static final long MAX_DEAD_LETTERS_MAX = 100_000_000;

    public static final String DISPATCH = "SharedQueue";
    public static final String DISPATCH_PATTERN = "^(SharedQueue|RoundRobin|Random)$";
    public static final String MAX_TASKS_PER_WORKER = "0";
    public static final String DRAIN_TIMEOUT = "60s";
    public static final String DRAIN_TIMEOUT_MAX = "24h";
    /**
     * A handler that never returns holds its claim until this ends it; an hour is long for a task and
     * short for a pool stuck behind one. 0s means no timeout.
     */
    public static final String TASK_TIMEOUT = "1h";
    /** Seven days (durations are written in ms, s, m or h). */
    public static final String TASK_TIMEOUT_MAX = "168h";

    public static final String MIN_REPLICAS = "1";
    public static final String TARGET_BACKLOG_PER_WORKER = "16";
    public static final int TARGET_BACKLOG_PER_WORKER_MAX = 1_000_000;
    /** As an HPA's default scale-down stabilization window: five minutes. */
    public static final String SCALE_DOWN_STABILIZATION_SECONDS = "300";
    public static final int SCALE_DOWN_STABILIZATION_SECONDS_MAX = 3600;

    /** Durations as {@link dev.reservoir.protocol.Quantities} reads them: a number and ms, s, m or h. */
    public static final String DURATION_PATTERN = "^[0-9]+(ms|s|m|h)$";
    /** Byte sizes as Quantities reads them: bytes, or a number with Ki, Mi, Gi (k, M, G). */
    public static final String SIZE_PATTERN = "^[0-9]+(Ki|Mi|Gi|k|M|G)?$";

    private SettingDefaults() {
    }
}
