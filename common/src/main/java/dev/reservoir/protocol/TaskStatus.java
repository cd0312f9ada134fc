package dev.reservoir.protocol;

/** Final outcome of a task, as written in the {@code status} field. */
public enum TaskStatus {
    /** The handler returned a value. */
    OK("ok"),
    /** The task failed for good (after its attempts, or at once for errors a retry cannot fix); it is also in the dead-letter stream. */
    FAILED("failed");

    private final String wire;

    TaskStatus(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static TaskStatus fromWire(String s) {
        for (TaskStatus status : values()) {
            if (status.wire.equals(s)) {
                return status;
            }
        }
        throw new MalformedEntryException(ResultFields.STATUS, "unknown status '" + s + "' (expected ok or failed)");
    }
}
