package dev.reservoir.protocol;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A task as it travels in a stream entry. Encoding: every field is a Redis string; numbers are
 * decimal ASCII, text is UTF-8, the payload is raw bytes (see docs/protocol.md).
 *
 * @param id            unique id chosen by the submitter
 * @param handler       name of the handler to run
 * @param payload       opaque bytes handed to the handler
 * @param replyTo       reply stream key, or null when the submitter only polls the result key
 * @param attempt       1 on first submission, incremented by each retry
 * @param submittedAt   epoch ms of submission, 0 when unknown
 * @param timeoutMillis run timeout for this task, 0 for the worker's default
 * @param lastError     error of the previous attempt (set by retries), or null
 */
public record Task(String id, String handler, byte[] payload, String replyTo, int attempt, long submittedAt,
                   long timeoutMillis, String lastError) {

    public Task {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(handler, "handler");
        payload = payload == null ? new byte[0] : payload;
    }

    public static Task of(String id, String handler, byte[] payload, String replyTo) {
        return new Task(id, handler, payload, replyTo, 1, System.currentTimeMillis(), 0, null);
    }

    /** Fields in stream order, ready for XADD. */
    public Map<String, byte[]> toFields() {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put(TaskFields.ID, utf8(id));
        fields.put(TaskFields.HANDLER, utf8(handler));
        fields.put(TaskFields.PAYLOAD, payload);
        if (replyTo != null) {
            fields.put(TaskFields.REPLY, utf8(replyTo));
        }
        if (attempt != 1) {
            fields.put(TaskFields.ATTEMPT, utf8(Integer.toString(attempt)));
        }
        if (submittedAt > 0) {
            fields.put(TaskFields.SUBMITTED, utf8(Long.toString(submittedAt)));
        }
        if (timeoutMillis > 0) {
            fields.put(TaskFields.TIMEOUT, utf8(Long.toString(timeoutMillis)));
        }
        if (lastError != null) {
            fields.put(TaskFields.LAST_ERROR, utf8(lastError));
        }
        return fields;
    }

    /**
     * Decodes a stream entry's fields.
     *
     * @throws MalformedEntryException naming the first field that is missing or invalid
     */
    public static Task fromFields(Map<String, byte[]> fields) {
        String id = requiredText(fields, TaskFields.ID);
        if (id.length() > 200) {
            throw new MalformedEntryException(TaskFields.ID, "longer than 200 characters");
        }
        String handler = requiredText(fields, TaskFields.HANDLER);
        byte[] payload = fields.getOrDefault(TaskFields.PAYLOAD, new byte[0]);
        String reply = optionalText(fields, TaskFields.REPLY);
        int attempt = (int) optionalLong(fields, TaskFields.ATTEMPT, 1, 1, Integer.MAX_VALUE);
        long submitted = optionalLong(fields, TaskFields.SUBMITTED, 0, 0, Long.MAX_VALUE);
        long timeout = optionalLong(fields, TaskFields.TIMEOUT, 0, 0, Long.MAX_VALUE);
        return new Task(id, handler, payload, reply, attempt, submitted, timeout, optionalText(fields, TaskFields.LAST_ERROR));
    }

    static String requiredText(Map<String, byte[]> fields, String name) {
        byte[] value = fields.get(name);
        if (value == null || value.length == 0) {
            throw new MalformedEntryException(name, "missing (required)");
        }
        return new String(value, StandardCharsets.UTF_8);
    }

    static String optionalText(Map<String, byte[]> fields, String name) {
        byte[] value = fields.get(name);
        return value == null || value.length == 0 ? null : new String(value, StandardCharsets.UTF_8);
    }

    static long optionalLong(Map<String, byte[]> fields, String name, long dflt, long min, long max) {
        byte[] value = fields.get(name);
        if (value == null || value.length == 0) {
            return dflt;
        }
        long digits = plainDigits(value);
        if (digits >= 0 && digits >= min && digits <= max) {
            return digits; // the usual case, decoded without a String
        }
        String text = new String(value, StandardCharsets.UTF_8);
        try {
            long parsed = Long.parseLong(text);
            if (parsed < min || parsed > max) {
                throw new MalformedEntryException(name, "'" + text + "' is out of range [" + min + ", " + max + "]");
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new MalformedEntryException(name, "'" + text + "' is not a decimal integer");
        }
    }

    /** The value of 1 to 18 ASCII digits, else -1 (then Long.parseLong decides, and words the error). */
    private static long plainDigits(byte[] value) {
        if (value.length > 18) {
            return -1;
        }
        long v = 0;
        for (byte b : value) {
            if (b < '0' || b > '9') {
                return -1;
            }
            v = v * 10 + (b - '0');
        }
        return v;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Task t && id.equals(t.id) && handler.equals(t.handler) && java.util.Arrays.equals(payload, t.payload)
                && Objects.equals(replyTo, t.replyTo) && attempt == t.attempt && submittedAt == t.submittedAt
                && timeoutMillis == t.timeoutMillis && Objects.equals(lastError, t.lastError);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, handler, java.util.Arrays.hashCode(payload), replyTo, attempt, submittedAt, timeoutMillis, lastError);
    }

    @Override
    public String toString() {
        return "Task[id=" + id + ", handler=" + handler + ", payload=" + payload.length + " bytes, attempt=" + attempt + "]";
    }
}
