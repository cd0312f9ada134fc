package dev.reservoir.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How a worker runs tasks: on platform threads (CPU-bound work) or virtual threads (blocking I/O). */
public enum ThreadMode {
    @JsonProperty("platform")
    PLATFORM("platform"),
    @JsonProperty("virtual")
    VIRTUAL("virtual");

    private final String wire;

    ThreadMode(String wire) {
        this.wire = wire;
    }

    /** The value of RESERVOIR_THREAD_MODE. */
    public String wire() {
        return wire;
    }
}
