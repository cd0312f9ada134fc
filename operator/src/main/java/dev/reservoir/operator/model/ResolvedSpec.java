package dev.reservoir.operator.model;

import dev.reservoir.operator.api.v1alpha1.Dispatch;
import dev.reservoir.operator.api.v1alpha1.PodTemplateOverrides;
import dev.reservoir.operator.api.v1alpha1.SecretKeyRef;
import dev.reservoir.operator.api.v1alpha1.ThreadMode;
import java.time.Duration;

/**
 * A WorkerPool spec with every default applied and every quantity parsed: what the factory and the
 * reconciler work from. Made only by {@link SpecResolver}, so a value here is known to be valid.
 */
public record ResolvedSpec(int replicas, String image, int threads, ThreadMode threadMode, int prefetch, long blockSize, int blocks,
                           int maxBlocks, String redisUrl, SecretKeyRef passwordSecretRef, Duration visibilityTimeout,
                           int maxAttempts, Dispatch dispatch, long maxTasksPerWorker, Duration drainTimeout, Autoscaling autoscaling,
                           PodTemplateOverrides template) {

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
