package dev.reservoir.client;

import java.time.Duration;

/**
 * The client gave up on a task's outcome at its deadline ({@link PoolOptions#outcomeDeadline()}, or
 * the timeout of {@link Pool#apply(String, byte[], Duration)}): no outcome came back, and none was
 * stored under its task id when the client checked. The outcome may be lost (Redis restarted without
 * persistence, a failover, an evicted reply stream) or simply late (a deep backlog, a long task).
 *
 * <p>{@link #mayHaveRun()} says which side of Redis the task was on: true once Redis had accepted it
 * (it may have run, may still run, and a late result is still found by {@link Pool#get(String)});
 * false when it was never sent (it will not run). Either way the future is complete, so the task no
 * longer holds a {@code maxPending} permit or counts for {@link Pool#join()}.
 */
public final class TaskOutcomeUnknownException extends ResultTimeoutException {
    private final boolean mayHaveRun;

    TaskOutcomeUnknownException(String taskId, Duration deadline, boolean mayHaveRun, String why) {
        super(taskId, mayHaveRun
                ? "no result for task " + taskId + " within " + deadline.toMillis() + " ms, and none is stored"
                        + (why == null ? "" : " (" + why + ")") + "; it was submitted, so it may have run, or may still be queued"
                        + " or running: fetch it later with get(\"" + taskId + "\"), or resubmit if the task is safe to run twice"
                : "task " + taskId + " could not be sent to Redis within " + deadline.toMillis() + " ms, so it was not queued"
                        + " and will not run: check that Redis is up and responsive, then resubmit");
        this.mayHaveRun = mayHaveRun;
    }

    /** True when Redis had accepted the task: it may have run (or still run); false when it was never sent. */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }
}
