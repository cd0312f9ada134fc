package dev.reservoir.protocol;

/**
 * Lifecycle of a worker process, published in its heartbeat.
 * STARTING → RUNNING → DRAINING → STOPPED; STARTING may go straight to STOPPED when start-up fails.
 */
public enum WorkerState {
    /** Connecting to Redis, creating the consumer group, reclaiming; not claiming yet. */
    STARTING,
    /** Claiming and running tasks. */
    RUNNING,
    /** No new claims; finishing in-flight tasks within drainTimeout, then handing back the rest. */
    DRAINING,
    /** Everything finished or handed back; the process exits. */
    STOPPED
}
