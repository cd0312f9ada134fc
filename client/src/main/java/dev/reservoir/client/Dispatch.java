package dev.reservoir.client;

/**
 * How a pool routes tasks to workers: a property of the pool (the WorkerPool's {@code spec.dispatch}),
 * not of each call, so code that submits does not change when the routing does.
 */
public enum Dispatch {
    /** One shared stream and consumer group: idle workers pull; a slow task never holds others back. */
    SharedQueue,
    /** The submitter writes to live workers' inboxes in turn (not built yet in the client). */
    RoundRobin,
    /** The submitter writes to a random live worker's inbox (not built yet in the client). */
    Random;

    public static Dispatch parse(String field, String text) {
        for (Dispatch d : values()) {
            if (d.name().equals(text)) {
                return d;
            }
        }
        throw new IllegalArgumentException(field + ": must be one of SharedQueue, RoundRobin, Random, got '" + text + "'");
    }
}
