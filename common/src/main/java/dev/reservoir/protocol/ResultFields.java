package dev.reservoir.protocol;

/**
 * Field names of a result written as plain fields: a dead-letter entry ({@link TaskResult#toFields()}).
 * Result buckets and reply streams hold each outcome as one encoded value instead ({@link TaskResult#encode()}).
 */
public final class ResultFields {
    public static final String ID = "id";
    /** {@code ok} or {@code failed} (see {@link TaskStatus}). */
    public static final String STATUS = "status";
    /** The handler's return value (bytes), present when status is ok. */
    public static final String VALUE = "value";
    /** Error type (a stable name such as {@code HandlerError}, {@code UnknownHandler}), when failed. */
    public static final String ERROR_TYPE = "error_type";
    /** Human-readable error message, when failed. */
    public static final String ERROR_MESSAGE = "error_message";
    /** How many attempts were made. */
    public static final String ATTEMPTS = "attempts";
    /** Id of the worker that wrote the outcome. */
    public static final String WORKER = "worker";
    /** Run time of the last attempt in microseconds. */
    public static final String DURATION_US = "duration_us";
    /** Epoch milliseconds when the outcome was written. */
    public static final String FINISHED = "finished";

    private ResultFields() {
    }
}
