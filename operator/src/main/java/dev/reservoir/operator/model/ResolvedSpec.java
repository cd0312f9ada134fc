package dev.reservoir.operator.model;

import dev.reservoir.api.v1alpha1.Dispatch;
import dev.reservoir.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.api.v1alpha1.SecretKeyRef;
import dev.reservoir.api.v1alpha1.ThreadMode;
import dev.reservoir.protocol.MemoryPoolDefaults;
import java.time.Duration;

/**
 * A WorkerPool spec with every default applied and every quantity parsed: what the factory and the
 * reconciler work from. Made only by {@link SpecResolver}, so a value here is known to be valid.
 *
 * @param blocks    memoryPool.blocks as the user set it; null: the worker derives it (see {@link #effectiveBlocks()})
 * @param maxBlocks memoryPool.maxBlocks as the user set it; null: the worker derives it (see {@link #effectiveMaxBlocks()})
 */
public record ResolvedSpec(int replicas, String image, int threads, ThreadMode threadMode, int prefetch, long blockSize, Integer blocks,
                           Integer maxBlocks, String redisUrl, SecretKeyRef passwordSecretRef, Duration visibilityTimeout,
                           int maxAttempts, Dispatch dispatch, long maxTasksPerWorker, Duration drainTimeout, Autoscaling autoscaling,
                           PodTemplateOverrides template) {

    /**
     * The blocks the worker will allocate up front: the set value, or the worker's own default (MemoryPoolDefaults in
     * common: max(16, 2 x (threads + prefetch)), since each claimed task's payload needs a block). Computed here
     * only to size the pod's memory request and to check maxBlocks; the worker itself gets no env var for it.
     */
    public int effectiveBlocks() {
        return blocks != null ? blocks : MemoryPoolDefaults.blocks(threads, prefetch);
    }

    /** The worker's cap on blocks: the set value, or the worker's default max(blocks, 4 x (threads + prefetch)). */
    public int effectiveMaxBlocks() {
        return maxBlocks != null ? maxBlocks : MemoryPoolDefaults.maxBlocks(effectiveBlocks(), threads, prefetch);
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
