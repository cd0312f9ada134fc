package dev.reservoir.protocol;

/** Field names of a task entry in the tasks stream (see docs/protocol.md). */
public final class TaskFields {
    /** Unique task id chosen by the submitter (required). */
    public static final String ID = "id";
    /** Name of the handler to run (required). */
    public static final String HANDLER = "handler";
    /** Opaque payload bytes (optional, empty when absent). */
    public static final String PAYLOAD = "payload";
    /** Reply stream key of the submitter (optional; must be a reply key of the same pool). */
    public static final String REPLY = "reply";
    /** Attempt number, 1 on first submission (optional, default 1). */
    public static final String ATTEMPT = "attempt";
    /** Submission time, epoch milliseconds (optional; used for queue-wait metrics). */
    public static final String SUBMITTED = "submitted";
    /** Per-task run timeout in milliseconds (optional; 0 or absent means the worker's default). */
    public static final String TIMEOUT = "timeout";
    /** Last error of a previous attempt, carried along by a retry (set by workers). */
    public static final String LAST_ERROR = "last_error";

    private TaskFields() {
    }
}
