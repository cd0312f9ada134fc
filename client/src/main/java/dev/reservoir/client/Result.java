package dev.reservoir.client;

import dev.reservoir.protocol.TaskResult;
import dev.reservoir.protocol.TaskStatus;
import java.nio.charset.StandardCharsets;

/**
 * The outcome of one task as the client sees it. A future returned by {@link Pool#submit} completes
 * normally only with an ok result; a failed one completes it exceptionally with
 * {@link TaskFailedException} (which carries this record). {@link Pool#get(String)} returns either.
 *
 * @param taskId         the id the client gave the task
 * @param status         ok or failed
 * @param value          the handler's return value (empty when failed)
 * @param errorType      stable error name when failed (see dev.reservoir.protocol.ErrorTypes), else null
 * @param errorMessage   message when failed, else null
 * @param attempts       attempts the pool made
 * @param worker         id of the worker that wrote the outcome
 * @param durationMicros run time of the last attempt inside the worker
 */
public record Result(String taskId, TaskStatus status, byte[] value, String errorType, String errorMessage, int attempts,
                     String worker, long durationMicros) {

    static Result of(TaskResult r) {
        return new Result(r.taskId(), r.status(), r.value(), r.errorType(), r.errorMessage(), r.attempts(), r.worker(),
                r.durationMicros());
    }

    public boolean isOk() {
        return status == TaskStatus.OK;
    }

    /** The value as UTF-8 text. */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /** The value, or the failure as a {@link TaskFailedException}. */
    public byte[] valueOrThrow() {
        if (!isOk()) {
            throw new TaskFailedException(this);
        }
        return value;
    }

    @Override
    public String toString() {
        return isOk() ? "Result[" + taskId + " ok, " + value.length + " bytes, worker=" + worker + "]"
                : "Result[" + taskId + " failed " + errorType + ": " + errorMessage + ", attempts=" + attempts + "]";
    }
}
