package dev.reservoir.pool;

import java.util.Objects;

/**
 * What a caller observed about one worker (a pod, or a local child process) in one reconcile pass.
 * The observation may be stale (an informer cache lags the API server); {@link Expectations} covers
 * the gap between what the caller did and what it can see.
 *
 * @param name            unique within the pool; also the worker's consumer name in the queue's group
 * @param revision        hash of the pod template / worker spec the worker was started from
 * @param phase           see {@link Phase}; the caller must follow its definitions
 * @param draining        the worker was asked to drain (annotation set, signal sent): it claims nothing
 *                        new, finishes what it holds and exits as {@link Phase#SUCCEEDED}
 * @param inFlight        tasks the worker holds, from its Redis heartbeat; {@link #UNKNOWN_IN_FLIGHT}
 *                        when there is no heartbeat (the planner then treats it as busy)
 * @param createdAtMillis creation time (epoch millis), used only to order workers deterministically
 */
public record ObservedWorker(String name, String revision, Phase phase, boolean draining, int inFlight,
                             long createdAtMillis) {

    /** {@link #inFlight()} when no heartbeat was read: the worker might be busy. */
    public static final int UNKNOWN_IN_FLIGHT = -1;

    public ObservedWorker {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("ObservedWorker.name must not be blank: pass the pod or process name");
        }
        if (revision == null || revision.isBlank()) {
            throw new IllegalArgumentException("ObservedWorker.revision of worker '" + name
                    + "' must not be blank: pass the hash of the spec it was started from");
        }
        Objects.requireNonNull(phase, () -> "ObservedWorker.phase of worker '" + name + "' must not be null");
        if (inFlight < UNKNOWN_IN_FLIGHT) {
            throw new IllegalArgumentException("ObservedWorker.inFlight of worker '" + name + "' must be >= 0, or "
                    + UNKNOWN_IN_FLIGHT + " when unknown; was " + inFlight);
        }
    }

    /** True when the worker holds tasks, or might (no heartbeat): draining it is safe, deleting it is not. */
    public boolean possiblyBusy() {
        return inFlight != 0;
    }
}
