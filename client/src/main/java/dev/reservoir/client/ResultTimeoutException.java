package dev.reservoir.client;

import java.time.Duration;

/**
 * The caller stopped waiting: no outcome arrived within the time it gave. Distinct from a failure —
 * the task may still be queued or running, and its result can be fetched later with
 * {@link Pool#get(String)}.
 */
public class ResultTimeoutException extends ReservoirException {
    private final String taskId;

    public ResultTimeoutException(String taskId, Duration waited) {
        super("no result for task " + taskId + " within " + waited.toMillis() + " ms; it may still be queued or running:"
                + " fetch it later with get(\"" + taskId + "\") or wait longer");
        this.taskId = taskId;
    }

    public String taskId() {
        return taskId;
    }
}
