package dev.reservoir.operator.api.v1alpha1;

/**
 * Spec defaults, once: the schema's {@code default:} values (annotations need constants) and the
 * operator's own fallbacks read the same strings, so a field left out means the same thing whether
 * the API server defaulted it or not (the mock API server in tests does no defaulting).
 */
public final class Defaults {
    public static final String REPLICAS = "1";
    public static final String THREADS = "4";
    public static final String THREAD_MODE = "platform";
    public static final String PREFETCH = "1";
    public static final String BLOCK_SIZE = "64Ki";
    // memoryPool.blocks and maxBlocks have no default here on purpose: the worker derives them from threads +
    // prefetch (see ResolvedSpec#effectiveBlocks), so the operator leaves their env vars out when they are unset.
    public static final String VISIBILITY_TIMEOUT = "30s";
    public static final String MAX_ATTEMPTS = "3";
    public static final String DISPATCH = "SharedQueue";
    public static final String MAX_TASKS_PER_WORKER = "0";
    public static final String DRAIN_TIMEOUT = "60s";
    public static final String MIN_REPLICAS = "1";
    public static final String TARGET_BACKLOG_PER_WORKER = "16";
    /** As an HPA's default scale-down stabilization window: five minutes. */
    public static final String SCALE_DOWN_STABILIZATION_SECONDS = "300";

    /** Durations as the worker and Quantities read them: a number and ms, s, m or h. */
    public static final String DURATION_PATTERN = "^[0-9]+(ms|s|m|h)$";
    /** Byte sizes as Quantities reads them: bytes, or a number with Ki, Mi, Gi (k, M, G). */
    public static final String SIZE_PATTERN = "^[0-9]+(Ki|Mi|Gi|k|M|G)?$";

    private Defaults() {
    }
}
