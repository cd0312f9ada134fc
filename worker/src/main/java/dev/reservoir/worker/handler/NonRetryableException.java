package dev.reservoir.worker.handler;

/** Thrown by a handler when another attempt cannot succeed (bad input): the task fails at once. */
public class NonRetryableException extends Exception {
    public NonRetryableException(String message) {
        super(message);
    }

    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
