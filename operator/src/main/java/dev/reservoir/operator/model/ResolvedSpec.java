package dev.reservoir.operator.model;

import dev.reservoir.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.spec.Dispatch;
import dev.reservoir.spec.PoolSettings;
import dev.reservoir.spec.ThreadMode;
import java.time.Duration;

/**
 * A WorkerPool spec with every default applied and every quantity parsed: what the factory and the
 * reconciler work from. Made only by {@link SpecResolver}, so a value here is known to be valid.
 *
 * @param settings what every worker of the pool is told (the same reading local mode makes of the spec)
 */
public record ResolvedSpec(int replicas, String image, PoolSettings settings, String redisUrl, SecretKeyRef passwordSecretRef,
                           Autoscaling autoscaling, PodTemplateOverrides template) {

    public int threads() {
        return settings.threads();
    }

    public ThreadMode threadMode() {
        return settings.threadMode();
    }

    public int prefetch() {
        return settings.prefetch();
    }

    public long blockSize() {
        return settings.blockSize();
    }

    /** memoryPool.blocks as the user set it; null: the worker derives it (see {@link #effectiveBlocks()}). */
    public Integer blocks() {
        return settings.blocks();
    }

    /** memoryPool.maxBlocks as the user set it; null: the worker derives it. */
    public Integer maxBlocks() {
        return settings.maxBlocks();
    }

    public Duration visibilityTimeout() {
        return settings.visibilityTimeout();
    }

    public int maxAttempts() {
        return settings.maxAttempts();
    }

    public Dispatch dispatch() {
        return settings.dispatch();
    }

    public long maxTasksPerWorker() {
        return settings.maxTasksPerWorker();
    }

    public Duration drainTimeout() {
        return settings.drainTimeout();
    }

    /** The blocks a worker allocates up front (set or derived): sizes the pod's memory request. */
    public int effectiveBlocks() {
        return settings.effectiveBlocks();
    }

    /** The worker's cap on blocks (set or derived): sizes the pod's memory limit. */
    public int effectiveMaxBlocks() {
        return settings.effectiveMaxBlocks();
    }

    /** @param scaleDownStabilization zero: scale down at once */
    public record Autoscaling(int minReplicas, int maxReplicas, int targetBacklogPerWorker, Duration scaleDownStabilization) {
        /** Workers wanted for this much work: ceil(load / target), within [min, max]. */
        public int desiredFor(long backlog, long inFlight) {
            long load = Math.max(0, backlog) + Math.max(0, inFlight);
            long wanted = (load + targetBacklogPerWorker - 1) / targetBacklogPerWorker;
            return (int) Math.max(minReplicas, Math.min(maxReplicas, wanted));
        }
    }
}
