package dev.reservoir.spec;

/**
 * How submitters route a pool's tasks to its workers (the WorkerPool's {@code spec.dispatch}). The
 * constant names are the spelling in the spec and in RESERVOIR_DISPATCH.
 */
public enum Dispatch {
    /** One shared stream and consumer group: idle workers pull; a slow task never holds others back. */
    SharedQueue,
    /** The submitter writes to live workers' inboxes in turn (not built yet). */
    RoundRobin,
    /** The submitter writes to a random live worker's inbox (not built yet). */
    Random
}
