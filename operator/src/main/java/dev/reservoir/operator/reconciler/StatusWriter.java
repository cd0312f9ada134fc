package dev.reservoir.operator.reconciler;

import dev.reservoir.api.v1alpha1.WorkerPool;
import dev.reservoir.api.v1alpha1.WorkerPoolStatus;
import dev.reservoir.operator.runtime.EventRecorder;
import dev.reservoir.operator.runtime.ReconcileMetrics;
import dev.reservoir.operator.status.StatusAggregator;
import dev.reservoir.operator.status.StatusInputs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Instant;
import java.util.Objects;

/**
 * The last step of every reconcile: the status from {@link StatusAggregator}, written only when it
 * differs from the one the pool has (a pool at rest costs no writes), and one Warning event per new
 * problem, not one per reconcile.
 */
final class StatusWriter {
    private final EventRecorder events;
    private final ReconcileMetrics metrics;

    StatusWriter(EventRecorder events, ReconcileMetrics metrics) {
        this.events = events;
        this.metrics = metrics;
    }

    /**
     * @throws KubernetesClientException when the status patch fails for another reason than the pool being
     *                                   gone (a conflict, an outage): JOSDK retries the reconcile with backoff
     */
    void write(WorkerPool pool, Context<WorkerPool> context, StatusInputs in, WorkerPoolStatus previous, Instant now) {
        WorkerPoolStatus status = StatusAggregator.aggregate(in, previous, now);
        Condition before = StatusAggregator.find(previous, StatusAggregator.DEGRADED);
        Condition after = StatusAggregator.find(status, StatusAggregator.DEGRADED);
        if ("True".equals(after.getStatus()) && (before == null || !"True".equals(before.getStatus())
                || !Objects.equals(before.getReason(), after.getReason()) || !Objects.equals(before.getMessage(), after.getMessage()))) {
            events.warning(pool, after.getReason(), after.getMessage());
        }
        if (status.equals(previous)) {
            return;
        }
        try {
            context.resourceOperations().jsonPatchPrimaryStatus(pool, p -> {
                p.setStatus(status);
                return p;
            });
            metrics.apiWrite("status");
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
            // the pool was deleted meanwhile: nothing to report
        }
    }
}
