package dev.reservoir.protocol;

/**
 * Names of the environment variables a worker reads. The operator sets them on pods and local mode
 * on child processes, so the names live here, once. Meanings and defaults: docs/configuration.md.
 */
public final class WorkerEnv {
    public static final String POOL = "RESERVOIR_POOL";
    public static final String WORKER_ID = "RESERVOIR_WORKER_ID";
    public static final String REDIS_URL = "RESERVOIR_REDIS_URL";
    /** Password for Redis; on Kubernetes it comes from a Secret (valueFrom.secretKeyRef), never from the spec. */
    public static final String REDIS_PASSWORD = "RESERVOIR_REDIS_PASSWORD";
    public static final String THREADS = "RESERVOIR_THREADS";
    public static final String THREAD_MODE = "RESERVOIR_THREAD_MODE";
    public static final String PREFETCH = "RESERVOIR_PREFETCH";
    public static final String BLOCK_SIZE = "RESERVOIR_MEMORY_BLOCK_SIZE";
    public static final String BLOCKS = "RESERVOIR_MEMORY_BLOCKS";
    public static final String MAX_BLOCKS = "RESERVOIR_MEMORY_MAX_BLOCKS";
    public static final String MEMORY_WAIT = "RESERVOIR_MEMORY_WAIT";
    /** off | sampled | paranoid: how often a lease records where it was taken, for leak reports. */
    public static final String LEAK_DETECTION = "RESERVOIR_MEMORY_LEAK_DETECTION";
    public static final String VISIBILITY_TIMEOUT = "RESERVOIR_VISIBILITY_TIMEOUT";
    public static final String MAX_ATTEMPTS = "RESERVOIR_MAX_ATTEMPTS";
    public static final String TASK_TIMEOUT = "RESERVOIR_TASK_TIMEOUT";
    public static final String RESULT_TTL = "RESERVOIR_RESULT_TTL";
    public static final String MAX_RESULTS = "RESERVOIR_MAX_RESULTS";
    public static final String DEAD_LETTER_TTL = "RESERVOIR_DEAD_LETTER_TTL";
    public static final String MAX_DEAD_LETTERS = "RESERVOIR_MAX_DEAD_LETTERS";
    public static final String MAX_TASKS_PER_WORKER = "RESERVOIR_MAX_TASKS_PER_WORKER";
    public static final String DRAIN_TIMEOUT = "RESERVOIR_DRAIN_TIMEOUT";
    public static final String HTTP_PORT = "RESERVOIR_HTTP_PORT";
    /**
     * Bearer token that {@code POST /drain} and {@code GET /status} require; on Kubernetes from the pool's
     * {@code <pool>-worker-token} Secret (valueFrom.secretKeyRef). Unset: those two answer loopback callers only.
     */
    public static final String HTTP_TOKEN = "RESERVOIR_HTTP_TOKEN";
    public static final String HANDLERS_DIR = "RESERVOIR_HANDLERS_DIR";
    public static final String HEARTBEAT_INTERVAL = "RESERVOIR_HEARTBEAT_INTERVAL";
    public static final String DISPATCH = "RESERVOIR_DISPATCH";

    private WorkerEnv() {
    }
}
