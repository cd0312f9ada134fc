package dev.reservoir.pool;

/**
 * Where a worker is in its life, as its caller observed it. The planner trusts these meanings, so a
 * caller must map its own states onto them exactly:
 * <pre>
 *   PENDING → STARTING → READY ──(exits 0: drained or recycled)──→ SUCCEEDED
 *      │          │         └──────(crash, OOM kill, eviction)──→ FAILED
 *      │          └───────────────────────────────────────────────→ FAILED
 *      └─(deletion requested at any point, SUCCEEDED/FAILED included)─→ TERMINATING → gone
 * </pre>
 * Draining is not a phase: it is the separate {@link ObservedWorker#draining()} flag, because a
 * draining worker is still STARTING or READY until its process exits.
 */
public enum Phase {
    /**
     * Created, but the worker's process has not started (pod scheduled or not, image pulling, init
     * containers running; child process not yet spawned). Such a worker cannot have claimed a task,
     * which is why the planner may delete it outright. A pod whose worker container runs while a
     * sidecar is still starting is STARTING, not PENDING.
     */
    PENDING,
    /** The process runs but is not ready yet (connecting, reclaiming): it may already hold claims. */
    STARTING,
    /** Ready: claiming and running tasks. */
    READY,
    /** Deletion already requested (pod deletionTimestamp set, SIGTERM sent to the child): it is going away. */
    TERMINATING,
    /** Exited 0: recycled after maxTasksPerWorker, or finished draining. */
    SUCCEEDED,
    /** Crashed, killed or evicted; whatever it had claimed is still pending in the consumer group. */
    FAILED;

    /** The process has exited and will not come back: the worker only needs deleting and its claims reclaiming. */
    public boolean exited() {
        return this == SUCCEEDED || this == FAILED;
    }
}
