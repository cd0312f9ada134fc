package dev.reservoir.pool;

/**
 * The spec the planner converges to.
 *
 * @param replicas       how many live, non-draining workers the pool should have
 * @param revision       hash of the worker spec new workers are started from; a worker with another
 *                       revision is outdated and is replaced by a rolling update
 * @param maxSurge       during a rolling update, how many live workers may exist above {@code replicas}
 * @param maxUnavailable during a rolling update, how many of {@code replicas} may be not READY because
 *                       outdated workers were drained (absolute numbers: the caller resolves percentages)
 */
public record DesiredPool(int replicas, String revision, int maxSurge, int maxUnavailable) {

    /** Defaults for a worker pool: bring a new worker up before draining an old one, never dip below replicas. */
    public static final int DEFAULT_MAX_SURGE = 1;
    public static final int DEFAULT_MAX_UNAVAILABLE = 0;

    public DesiredPool {
        if (replicas < 0) {
            throw new IllegalArgumentException("DesiredPool.replicas must be >= 0, was " + replicas);
        }
        if (revision == null || revision.isBlank()) {
            throw new IllegalArgumentException("DesiredPool.revision must not be blank: pass the hash of the worker spec");
        }
        if (maxSurge < 0) {
            throw new IllegalArgumentException("DesiredPool.maxSurge must be >= 0, was " + maxSurge);
        }
        if (maxUnavailable < 0) {
            throw new IllegalArgumentException("DesiredPool.maxUnavailable must be >= 0, was " + maxUnavailable);
        }
        if (maxSurge == 0 && maxUnavailable == 0) {
            // Same rule as a Deployment: with neither, no outdated worker could ever be replaced.
            throw new IllegalArgumentException("DesiredPool.maxSurge and maxUnavailable must not both be 0:"
                    + " a rolling update could never start; set maxSurge to 1 (or maxUnavailable to 1)");
        }
    }

    /** A pool with {@link #DEFAULT_MAX_SURGE} and {@link #DEFAULT_MAX_UNAVAILABLE}. */
    public DesiredPool(int replicas, String revision) {
        this(replicas, revision, DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE);
    }
}
