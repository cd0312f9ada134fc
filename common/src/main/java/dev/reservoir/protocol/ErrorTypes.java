package dev.reservoir.protocol;

/** Stable error type names written in {@code error_type}; clients in any language can switch on them. */
public final class ErrorTypes {
    /** The handler threw; the message is the exception's class and message. Retried up to maxAttempts. */
    public static final String HANDLER_ERROR = "HandlerError";
    /** No handler of that name in the worker image. Not retried. */
    public static final String UNKNOWN_HANDLER = "UnknownHandler";
    /** The task ran longer than its timeout. Retried up to maxAttempts. */
    public static final String TIMEOUT = "TaskTimeout";
    /** The payload does not fit the worker's memory pool block. Not retried. */
    public static final String PAYLOAD_TOO_LARGE = "PayloadTooLarge";
    /** The stream entry did not follow the protocol. Not retried. */
    public static final String MALFORMED_TASK = "MalformedTask";
    /** Workers kept dying (or were stopped) while running the task until maxAttempts was used up. */
    public static final String WORKER_LOST = "WorkerLost";
    /** No memory pool block became free within the wait bound. Retried up to maxAttempts. */
    public static final String MEMORY_EXHAUSTED = "MemoryPoolExhausted";
    /** The handler asked not to be retried (NonRetryableException). */
    public static final String NON_RETRYABLE = "NonRetryable";

    private ErrorTypes() {
    }
}
