package dev.reservoir.pool;

import java.util.List;

/**
 * What one reconcile pass should do. The caller carries it out in this order: delete and reclaim,
 * drain, create; then records each action in {@link Expectations} and requeues while
 * {@link #progressing()}.
 *
 * @param create      how many new workers to start, from the desired revision
 * @param drain       workers to ask to drain (sorted by name): they stop claiming, finish what they
 *                    hold and exit by themselves as SUCCEEDED
 * @param delete      workers to delete now (sorted by name). Only workers with no running process are
 *                    ever listed: exited ones (SUCCEEDED/FAILED) and ones that never started (PENDING).
 * @param reclaim     workers whose claimed tasks the caller hands back to the shared queue at once,
 *                    instead of waiting for the visibility timeout (sorted by name): the deleted
 *                    workers that have exited (SUCCEEDED/FAILED), and nothing else. Reclaiming from a
 *                    process that may still run would hand its tasks out twice, and a worker observed
 *                    PENDING may have started since the (possibly stale) observation.
 * @param progressing true while there is work to do or workers are starting, draining, going away,
 *                    outdated, or not yet observed: the caller should requeue and report it
 * @param reason      a short human phrase for the pool's status ("scaling up 2 → 4", "rolling 1/4 updated")
 */
public record Plan(int create, List<String> drain, List<String> delete, List<String> reclaim,
                   boolean progressing, String reason) {

    public Plan {
        if (create < 0) {
            throw new IllegalArgumentException("Plan.create must be >= 0, was " + create);
        }
        drain = List.copyOf(drain);
        delete = List.copyOf(delete);
        reclaim = List.copyOf(reclaim);
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("Plan.reason must not be blank");
        }
    }

    /** True when the caller has something to carry out (it may still need to requeue if {@link #progressing()}). */
    public boolean hasActions() {
        return create > 0 || !drain.isEmpty() || !delete.isEmpty() || !reclaim.isEmpty();
    }
}
