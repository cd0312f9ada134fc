package dev.reservoir.operator.status;

/** What Redis said about a pool's queue in one reconcile. */
public record QueueSnapshot(long backlog, long inFlight, long completed, long failed, long deadLettered, int busyWorkers) {
}
