package dev.reservoir.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of a task: what workers write to the result hash and the reply stream.
 *
 * @param taskId       id of the task
 * @param status       ok or failed
 * @param value        handler's return value when ok (never null; empty when failed)
 * @param errorType    stable error name when failed ({@link ErrorTypes}), else null
 * @param errorMessage human-readable message when failed, else null
 * @param attempts     attempts made
 * @param worker       id of the worker that wrote it
 * @param durationMicros run time of the last attempt
 * @param finishedAt   epoch ms
 */
public record TaskResult(String taskId, TaskStatus status, byte[] value, String errorType, String errorMessage,
                         int attempts, String worker, long durationMicros, long finishedAt) {

    public TaskResult {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(status, "status");
        value = value == null ? new byte[0] : value;
    }

    public static TaskResult ok(String taskId, byte[] value, int attempts, String worker, long durationMicros) {
        return new TaskResult(taskId, TaskStatus.OK, value, null, null, attempts, worker, durationMicros, System.currentTimeMillis());
    }

    public static TaskResult failed(String taskId, String errorType, String message, int attempts, String worker, long durationMicros) {
        return new TaskResult(taskId, TaskStatus.FAILED, new byte[0], errorType, message, attempts, worker, durationMicros,
                System.currentTimeMillis());
    }

    public boolean isOk() {
        return status == TaskStatus.OK;
    }

    public Map<String, byte[]> toFields() {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put(ResultFields.ID, Task.utf8(taskId));
        fields.put(ResultFields.STATUS, Task.utf8(status.wire()));
        if (status == TaskStatus.OK) {
            fields.put(ResultFields.VALUE, value);
        } else {
            fields.put(ResultFields.ERROR_TYPE, Task.utf8(errorType == null ? ErrorTypes.HANDLER_ERROR : errorType));
            fields.put(ResultFields.ERROR_MESSAGE, Task.utf8(errorMessage == null ? "" : errorMessage));
        }
        fields.put(ResultFields.ATTEMPTS, Task.utf8(Integer.toString(attempts)));
        if (worker != null) {
            fields.put(ResultFields.WORKER, Task.utf8(worker));
        }
        fields.put(ResultFields.DURATION_US, Task.utf8(Long.toString(durationMicros)));
        fields.put(ResultFields.FINISHED, Task.utf8(Long.toString(finishedAt)));
        return fields;
    }

    public static TaskResult fromFields(Map<String, byte[]> fields) {
        String id = Task.requiredText(fields, ResultFields.ID);
        TaskStatus status = TaskStatus.fromWire(Task.requiredText(fields, ResultFields.STATUS));
        return new TaskResult(id, status, fields.get(ResultFields.VALUE), Task.optionalText(fields, ResultFields.ERROR_TYPE),
                Task.optionalText(fields, ResultFields.ERROR_MESSAGE),
                (int) Task.optionalLong(fields, ResultFields.ATTEMPTS, 1, 0, Integer.MAX_VALUE),
                Task.optionalText(fields, ResultFields.WORKER), Task.optionalLong(fields, ResultFields.DURATION_US, 0, 0, Long.MAX_VALUE),
                Task.optionalLong(fields, ResultFields.FINISHED, 0, 0, Long.MAX_VALUE));
    }

    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskResult r && taskId.equals(r.taskId) && status == r.status && Arrays.equals(value, r.value)
                && Objects.equals(errorType, r.errorType) && Objects.equals(errorMessage, r.errorMessage) && attempts == r.attempts
                && Objects.equals(worker, r.worker) && durationMicros == r.durationMicros && finishedAt == r.finishedAt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(taskId, status, Arrays.hashCode(value), errorType, errorMessage, attempts, worker);
    }

    @Override
    public String toString() {
        return status == TaskStatus.OK
                ? "TaskResult[" + taskId + " ok, " + value.length + " bytes, attempts=" + attempts + "]"
                : "TaskResult[" + taskId + " failed " + errorType + ": " + errorMessage + ", attempts=" + attempts + "]";
    }
}
