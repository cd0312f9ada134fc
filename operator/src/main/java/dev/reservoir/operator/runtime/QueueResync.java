package dev.reservoir.operator.runtime;

import dev.reservoir.operator.reconciler.WorkerPoolReconciler;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Periodic work: Redis changes (backlog, heartbeats, a worker going idle) are not Kubernetes events,
 * so every pool is reconciled again on this schedule. A pool at rest costs a few Redis reads and no
 * Kubernetes writes (the status is written only when it changed).
 */
@ApplicationScoped
public class QueueResync {
    private final WorkerPoolReconciler reconciler;

    public QueueResync(WorkerPoolReconciler reconciler) {
        this.reconciler = reconciler;
    }

    @Scheduled(every = "${reservoir.operator.resync-interval:10s}", delayed = "${reservoir.operator.resync-interval:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void resync() {
        reconciler.resyncAll();
    }
}
