package dev.reservoir.cli;

/** Exit codes of the reservoir command (documented in docs/client.md). */
public final class ExitCodes {
    /** Everything worked. */
    public static final int OK = 0;
    /** A task failed (its error type and message are printed), or a workload missed. */
    public static final int TASK_FAILED = 1;
    /** Bad command line or bad input file (picocli's usage code). */
    public static final int USAGE = 2;
    /** Redis could not be reached or the connection broke. */
    public static final int REDIS_UNREACHABLE = 3;
    /** No result within the timeout (the task may still run). */
    public static final int TIMEOUT = 4;
    /** No result stored under that task id (unknown or expired). */
    public static final int NOT_FOUND = 5;
    /** Local mode could not start or keep its pool (worker or Redis would not start). */
    public static final int LOCAL_POOL_FAILED = 6;
    /** Interrupted (Ctrl-C) before the work was done. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
