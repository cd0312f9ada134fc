package dev.reservoir.spec;

import java.util.Locale;

/** How a worker runs tasks: on platform threads (CPU-bound work) or virtual threads (tasks that mostly wait on I/O). */
public enum ThreadMode {
    PLATFORM,
    VIRTUAL;

    /** The spelling in a WorkerPool spec and in RESERVOIR_THREAD_MODE. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
