package dev.reservoir.client;

/** Base of the client's exceptions; all unchecked so futures and streams stay easy to use. */
public class ReservoirException extends RuntimeException {
    public ReservoirException(String message) {
        super(message);
    }

    public ReservoirException(String message, Throwable cause) {
        super(message, cause);
    }
}
