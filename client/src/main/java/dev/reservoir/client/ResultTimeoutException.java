package dev.reservoir.client;

import java.time.Duration;

/**
 * The caller stopped waiting: no outcome arrived within the time it gave. Distinct from a failure —
 * the task may still be queued or running, and its result can be fetched later with
 * {@link Pool#get(String)}. {@link TaskOutcomeUnknownException} is the case where the client's
 * own deadline passed and the client found no stored outcome either.
 */
public class ResultTimeoutException extends ReservoirException {
    private final String taskId;

    public ResultTimeoutException(String taskId, Duration waited) {
        this(taskId, waited, true);
    }

    /**
     * @param maybeQueued false when the task was never handed to Redis (Redis too slow or unreachable
     *                    within the wait): it will not run, and get() will not find it
     */
    public ResultTimeoutException(String taskId, Duration waited, boolean maybeQueued) {
        super(maybeQueued
                ? "no result for task " + taskId + " within " + waited.toMillis() + " ms; it may still be queued or running:"
                        + " fetch it later with get(\"" + taskId + "\") or wait longer"
                : "task " + taskId + " could not be sent to Redis within " + waited.toMillis() + " ms, so it was not queued:"
                        + " check that Redis is up and responsive, then retry");
        this.taskId = taskId;
    }

    /** For {@link TaskOutcomeUnknownException}, which words its own message. */
    ResultTimeoutException(String taskId, String message) {
        super(message);
        this.taskId = taskId;
    }

    public String taskId() {
        return taskId;
    }
}
