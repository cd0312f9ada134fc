package dev.reservoir.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of a task: what workers write to the result bucket, the reply stream ({@link #encode()})
 * and, for failures, the dead-letter stream ({@link #toFields()}).
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

    /**
     * The outcome as one value: what the result bucket and the reply stream hold under the task id
     * (docs/protocol.md, "Outcome encoding"). A header line of space-separated ASCII tokens, a
     * newline, then the body: the value when ok, the error message when failed.
     * <pre>status error_type|- attempts duration_us finished worker|-\nbody</pre>
     * Readers ignore tokens after the sixth, so later versions can append some.
     */
    public byte[] encode() {
        byte[] body = status == TaskStatus.OK ? value : Task.utf8(errorMessage == null ? "" : errorMessage);
        String type = status == TaskStatus.OK ? "-" : errorType == null || errorType.isEmpty() ? ErrorTypes.HANDLER_ERROR : token(errorType);
        String head = status.wire() + ' ' + type + ' ' + attempts + ' ' + durationMicros + ' ' + finishedAt + ' '
                + (worker == null || worker.isEmpty() ? "-" : token(worker)) + '\n';
        byte[] out = new byte[head.length() + body.length];
        for (int i = 0; i < head.length(); i++) {
            out[i] = (byte) head.charAt(i); // ASCII by construction: ids and error types are [A-Za-z0-9._-]
        }
        System.arraycopy(body, 0, out, head.length(), body.length);
        return out;
    }

    /** A header token: anything outside [A-Za-z0-9._-] becomes '_' (ids and error types never have any). */
    private static String token(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-';
            if (!plain && b == null) {
                b = new StringBuilder(s.substring(0, i));
            }
            if (b != null) {
                b.append(plain ? c : '_');
            }
        }
        return b == null ? s : b.toString();
    }

    /** Reads an outcome written by {@link #encode()}; the message of the exception says what is wrong. */
    public static TaskResult decode(String taskId, byte[] encoded) {
        int nl = -1;
        for (int i = 0; i < encoded.length; i++) {
            if (encoded[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            throw new MalformedEntryException(taskId, "outcome has no header line (expected 'status error_type attempts"
                    + " duration_us finished worker' and a newline)");
        }
        String[] t = new String(encoded, 0, nl, StandardCharsets.US_ASCII).split(" ");
        if (t.length < 6) {
            throw new MalformedEntryException(taskId, "outcome header has " + t.length + " tokens, expected 6: 'status"
                    + " error_type attempts duration_us finished worker'");
        }
        TaskStatus status = TaskStatus.fromWire(t[0]);
        byte[] body = Arrays.copyOfRange(encoded, nl + 1, encoded.length);
        int attempts = (int) headerNumber(taskId, "attempts", t[2], Integer.MAX_VALUE);
        long duration = headerNumber(taskId, "duration_us", t[3], Long.MAX_VALUE);
        long finished = headerNumber(taskId, "finished", t[4], Long.MAX_VALUE);
        String worker = "-".equals(t[5]) ? null : t[5];
        return status == TaskStatus.OK
                ? new TaskResult(taskId, status, body, null, null, attempts, worker, duration, finished)
                : new TaskResult(taskId, status, new byte[0], "-".equals(t[1]) ? ErrorTypes.HANDLER_ERROR : t[1],
                        new String(body, StandardCharsets.UTF_8), attempts, worker, duration, finished);
    }

    private static long headerNumber(String taskId, String name, String token, long max) {
        try {
            long v = Long.parseLong(token);
            if (v >= 0 && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MalformedEntryException(taskId, "outcome header " + name + " '" + token + "' is not a number in [0, " + max + "]");
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
