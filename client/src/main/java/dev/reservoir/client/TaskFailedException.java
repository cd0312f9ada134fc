package dev.reservoir.client;

import dev.reservoir.protocol.ErrorTypes;

/**
 * The pool ran the task and it failed for good: the handler threw on every attempt, the handler is
 * unknown, the task hit its run timeout, or workers kept dying under it. Every such task is also in
 * the pool's dead-letter stream. {@link #errorType()} is the remote error's stable name.
 */
public class TaskFailedException extends ReservoirException {
    private final transient Result result;

    public TaskFailedException(Result result) {
        super("task " + result.taskId() + " failed after " + result.attempts() + " attempt(s): " + result.errorType() + ": "
                + result.errorMessage());
        this.result = result;
    }

    public Result result() {
        return result;
    }

    public String taskId() {
        return result.taskId();
    }

    public String errorType() {
        return result.errorType();
    }

    public String errorMessage() {
        return result.errorMessage();
    }

    /** True when the task was stopped by its run timeout inside the worker (still a failure, and dead-lettered). */
    public boolean isRunTimeout() {
        return ErrorTypes.TIMEOUT.equals(result.errorType());
    }
}
